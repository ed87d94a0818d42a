/* compare_stats.c: the statistics of one compared row (medians, CIs, Welch's t, Mann-Whitney U,
 * the change and its bootstrap CI, the minimum detectable effect, the verdict) and of a whole
 * comparison (Benjamini-Hochberg over its rows). */
#include <errno.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "analysis/compare.h"
#include "analysis/compare_internal.h"
#include "core/stats.h"

/* ---- statistics of one comparison ---- */

/* Copy the finite values of x into a new array; *n gets their count. NULL only when out of memory. */
static double *finite_copy(const double *x, size_t n, size_t *m)
{
	double *v = malloc((n ? n : 1) * sizeof(*v));

	*m = 0;
	if (!v)
		return NULL;
	for (size_t i = 0; i < n; i++)
		if (isfinite(x[i]))
			v[(*m)++] = x[i];
	return v;
}

/* Whether the row passes both conditions at the per-row level alone (before Benjamini-Hochberg). */
static bool row_significant(const struct sl_cmp_row *row, double cut);
static bool tests_pass(const struct sl_cmp_row *row, double cut);
static bool change_ci_apart_from_zero(const struct sl_cmp_row *row);

/* Set the verdict of row from its filled statistics, significance and detectable effect. Every note
 * says what the numbers beside it show (tested): a change is only called unchanged when the row
 * could have detected one of the threshold's size. */
static void decide(struct sl_cmp_row *row)
{
	double thr = row->threshold_pct, ch;
	bool beyond, worse, alone;

	row->note[0] = '\0';
	if (row->nmin < SL_CMP_MIN_REPS) {
		row->verdict = SL_VERDICT_INCONCLUSIVE;
		snprintf(row->note, sizeof(row->note), "fewer than %d repetitions", SL_CMP_MIN_REPS);
		return;
	}
	if (row->base.median == 0 && row->cur.median == 0) {
		row->change_pct = row->change_lo_pct = row->change_hi_pct = 0;
		row->verdict = row->significant ? SL_VERDICT_INCONCLUSIVE : SL_VERDICT_UNCHANGED;
		return;
	}
	if (!(row->base.median > 0) || !isfinite(row->cur.median)) {
		row->verdict = SL_VERDICT_INCONCLUSIVE;
		snprintf(row->note, sizeof(row->note), "base median is 0: no relative change");
		return;
	}
	ch = row->change_pct;
	if (!isfinite(ch)) {
		row->verdict = SL_VERDICT_INCONCLUSIVE;
		snprintf(row->note, sizeof(row->note), "change not computable");
		return;
	}
	beyond = fabs(ch) > thr;
	if (row->significant && beyond) {
		if (row->metric.better == 0) {
			row->verdict = SL_VERDICT_CHANGED;
			return;
		}
		worse = row->metric.better < 0 ? ch > 0 : ch < 0;
		row->verdict = worse ? SL_VERDICT_REGRESSION : SL_VERDICT_IMPROVEMENT;
		return;
	}
	if (row->significant) {
		row->verdict = SL_VERDICT_UNCHANGED;
		snprintf(row->note, sizeof(row->note), "significant but within the %g%% threshold", thr);
		return;
	}
	if (beyond && tests_pass(row, row->p_cut) && !change_ci_apart_from_zero(row)) {
		row->verdict = SL_VERDICT_INCONCLUSIVE;
		snprintf(row->note, sizeof(row->note), "the tests pass (Welch p %.2g) but the CI of the change "
			 "[%+.1f, %+.1f] includes 0", row->p, row->change_lo_pct, row->change_hi_pct);
		return;
	}
	/* significant alone, not among the comparison's rows: the family-wide step decided */
	alone = row->p_cut < SL_CMP_RANK_ALPHA && row_significant(row, SL_CMP_RANK_ALPHA);
	if (alone && beyond) {
		row->verdict = SL_VERDICT_INCONCLUSIVE;
		snprintf(row->note, sizeof(row->note), "significant alone (Welch p %.2g) but not after "
			 "Benjamini-Hochberg over the comparison's rows (cut %.2g)", row->p, row->p_cut > 0 ? row->p_cut : 0);
		return;
	}
	if (row->mde_pct <= thr) {
		row->verdict = SL_VERDICT_UNCHANGED;
		if (alone)
			snprintf(row->note, sizeof(row->note), "Welch p %.2g alone, not significant after "
				 "Benjamini-Hochberg (cut %.2g); within the %g%% threshold", row->p,
				 row->p_cut > 0 ? row->p_cut : 0, thr);
		return;
	}
	row->verdict = SL_VERDICT_INCONCLUSIVE;
	if (row->more_reps > 0)
		snprintf(row->note, sizeof(row->note), "not significant, and it could only have detected %.*f%% "
			 "(threshold %g%%): about %ld more repetitions on each side would reach it",
			 row->mde_pct < 10 ? 1 : 0, row->mde_pct, thr,
			 row->more_reps);
	else
		snprintf(row->note, sizeof(row->note), "not significant, and it could only have detected %.*f%% "
			 "(threshold %g%%)", row->mde_pct < 10 ? 1 : 0, row->mde_pct, thr);
}

static bool cis_apart(const struct sl_cmp_side *a, const struct sl_cmp_side *b)
{
	return a->ci_hi < b->ci_lo || b->ci_hi < a->ci_lo;
}

/* Continued fraction of the incomplete beta function (Lentz's method). */
static double beta_cf(double a, double b, double x)
{
	const double tiny = 1e-300;
	double c = 1, d = 1 - (a + b) * x / (a + 1), h;

	d = 1 / (fabs(d) < tiny ? tiny : d);
	h = d;
	for (int m = 1; m <= 300; m++) {
		double aa = m * (b - m) * x / ((a - 1 + 2 * m) * (a + 2 * m)), del;

		d = 1 + aa * d;
		d = 1 / (fabs(d) < tiny ? tiny : d);
		c = 1 + aa / c;
		c = fabs(c) < tiny ? tiny : c;
		h *= d * c;
		aa = -(a + m) * (a + b + m) * x / ((a + 2 * m) * (a + 1 + 2 * m));
		d = 1 + aa * d;
		d = 1 / (fabs(d) < tiny ? tiny : d);
		c = 1 + aa / c;
		c = fabs(c) < tiny ? tiny : c;
		del = d * c;
		h *= del;
		if (fabs(del - 1) < 1e-14)
			break;
	}
	return h;
}

/* Regularised incomplete beta function I_x(a, b). */
static double beta_inc(double a, double b, double x)
{
	double bt;

	if (x <= 0)
		return 0;
	if (x >= 1)
		return 1;
	bt = exp(lgamma(a + b) - lgamma(a) - lgamma(b) + a * log(x) + b * log1p(-x));
	return x < (a + 1) / (a + b + 2) ? bt * beta_cf(a, b, x) / a : 1 - bt * beta_cf(b, a, 1 - x) / b;
}

/* Two-sided p of Student's t with df degrees of freedom. */
static double t_two_sided_p(double t, double df)
{
	if (!isfinite(t))
		return isnan(t) ? NAN : 0;
	return beta_inc(df / 2, 0.5, df / (df + t * t));
}

static bool all_positive(const double *a, size_t na)
{
	for (size_t i = 0; i < na; i++)
		if (!(a[i] > 0))
			return false;
	return true;
}

/* Mean and sample variance of a (of its logarithms when logs). */
static void moments(const double *a, size_t n, bool logs, double *mean, double *var)
{
	double m = 0, v = 0;

	for (size_t i = 0; i < n; i++)
		m += logs ? log(a[i]) : a[i];
	m /= (double)n;
	for (size_t i = 0; i < n; i++)
		v += pow((logs ? log(a[i]) : a[i]) - m, 2);
	*mean = m;
	*var = n > 1 ? v / (double)(n - 1) : 0;
}

/* Welch's degrees of freedom for variances of the means va, vb. */
static double welch_df(double va, size_t na, double vb, size_t nb)
{
	double se2 = va + vb;

	return se2 * se2 / (va * va / (double)(na - 1) + vb * vb / (double)(nb - 1));
}

/* Welch's t-test of a against b (finite values), on logarithms when all are positive: the noise of
 * run times is multiplicative. Two-sided p; NAN with fewer than 2 values on a side. */
static double welch_p(const double *a, size_t na, const double *b, size_t nb)
{
	double ma, mb, va, vb, se2, t;
	bool logs;

	if (na < 2 || nb < 2)
		return NAN;
	logs = all_positive(a, na) && all_positive(b, nb);
	moments(a, na, logs, &ma, &va);
	moments(b, nb, logs, &mb, &vb);
	va /= (double)na;   /* variance of the mean */
	vb /= (double)nb;
	se2 = va + vb;
	if (!(se2 > 0))
		return ma == mb ? 1 : 0;
	t = (ma - mb) / sqrt(se2);
	return t_two_sided_p(t, welch_df(va, na, vb, nb));
}

/* The q-quantile (q in (0.5, 1)) of Student's t with df degrees of freedom, by bisection. */
static double t_quantile(double q, double df)
{
	double lo = 0, hi = 1e4, target = 2 * (1 - q);

	for (int i = 0; i < 100; i++) {
		double mid = (lo + hi) / 2;

		if (t_two_sided_p(mid, df) > target)
			lo = mid;
		else
			hi = mid;
	}
	return (lo + hi) / 2;
}

#define SL_CMP_POWER 0.8           /* the power of the minimum detectable effect */
#define SL_CMP_MAX_MORE_REPS 100000

/* The change (on the test's scale: log ratio, or absolute) that Welch's test at SL_CMP_RANK_ALPHA
 * detects with SL_CMP_POWER, for sample variances va, vb and sizes na, nb. */
static double detectable(double va, size_t na, double vb, size_t nb)
{
	double sa = va / (double)na, sb = vb / (double)nb, df;

	if (!(sa + sb > 0))
		return 0;
	df = welch_df(sa, na, sb, nb);
	if (!isfinite(df) || df < 1)
		df = 1;
	return (t_quantile(1 - SL_CMP_RANK_ALPHA / 2, df) + t_quantile(SL_CMP_POWER, df)) * sqrt(sa + sb);
}

/* The row's minimum detectable effect (percent) from its own noise and n, and how many more
 * repetitions on each side would bring it within the threshold. */
static void row_power(struct sl_cmp_row *row, const double *b, size_t nb, const double *c, size_t nc)
{
	double mb, vb, mc, vc, d, want;
	bool logs;
	size_t k;

	row->mde_pct = INFINITY;
	row->more_reps = -1;
	if (nb < SL_CMP_MIN_REPS || nc < SL_CMP_MIN_REPS)
		return;
	logs = all_positive(b, nb) && all_positive(c, nc);
	moments(b, nb, logs, &mb, &vb);
	moments(c, nc, logs, &mc, &vc);
	if (!logs && mb == 0)
		return;
	d = detectable(vb, nb, vc, nc);
	row->mde_pct = logs ? expm1(d) * 100 : d / fabs(mb) * 100;
	want = logs ? log1p(row->threshold_pct / 100) : row->threshold_pct / 100 * fabs(mb);
	if (d <= want) {
		row->more_reps = 0;
		return;
	}
	/* the normal approximation's n, then up until the t quantiles agree */
	k = (size_t)ceil(pow(2.8 / want, 2) * (vb + vc));
	k = k > nb ? k - nb : 1;
	while (k < SL_CMP_MAX_MORE_REPS && detectable(vb, nb + k, vc, nc + k) > want)
		k = k < 16 ? k + 1 : k + k / 16;
	row->more_reps = k < SL_CMP_MAX_MORE_REPS ? (long)k : -1;
}

double sl_cmp_welch_p(const double *a, size_t na, const double *b, size_t nb)
{
	size_t ma, mb;
	double *x = finite_copy(a, na, &ma), *y = finite_copy(b, nb, &mb), p = NAN;

	if (x && y)
		p = welch_p(x, ma, y, mb);
	free(x);
	free(y);
	return p;
}

/* Fill the tests of a row from its two samples (finite values): Welch's p, the rank condition. */
static void row_test(struct sl_cmp_row *row, const double *b, size_t nb, const double *c, size_t nc)
{
	row->nmin = nb < nc ? nb : nc;
	row->mde_pct = INFINITY;
	row->more_reps = -1;
	row->ci_test = row->nmin < SL_CMP_MWU_REPS;
	row->cis_apart = cis_apart(&row->base, &row->cur);
	row->p = row->p_rank = NAN;
	if (row->nmin < SL_CMP_MIN_REPS)
		return;
	row->p = welch_p(b, nb, c, nc);
	if (!row->ci_test)
		row->p_rank = sl_stats_mann_whitney_p(b, nb, c, nc);
	row_power(row, b, nb, c, nc);
}

/* Significance of a row at the p-value cut (the Benjamini-Hochberg one over a comparison). */
/* The two tests at the p-value cut: Welch's p, and the rank condition. */
static bool tests_pass(const struct sl_cmp_row *row, double cut)
{
	if (row->nmin < SL_CMP_MIN_REPS || !isfinite(row->p) || row->p > cut)
		return false;
	return row->ci_test ? row->cis_apart : row->p_rank < SL_CMP_RANK_ALPHA;
}

/* Whether the 95% CI of the change leaves out 0 (true when it could not be computed). */
static bool change_ci_apart_from_zero(const struct sl_cmp_row *row)
{
	if (!isfinite(row->change_lo_pct) || !isfinite(row->change_hi_pct))
		return true;
	return row->change_lo_pct > 0 || row->change_hi_pct < 0;
}

/* Significance of a row at the p-value cut: both tests, and a change whose CI leaves out 0, so that
 * a verdict never stands beside an interval that says "maybe no change" (seen on a loaded machine:
 * Welch and U passed, the change +28% [-1.9, +60]). */
static bool row_significant(const struct sl_cmp_row *row, double cut)
{
	return tests_pass(row, cut) && change_ci_apart_from_zero(row);
}

void sl_cmp_samples(const double *base, size_t nb, const double *cur, size_t nc, double threshold_pct,
		    const struct sl_cmp_options *o, uint64_t seed, struct sl_cmp_row *row)
{
	size_t mb, mc;
	double *b = finite_copy(base, nb, &mb), *c = finite_copy(cur, nc, &mc);
	double lo, hi;

	row->threshold_pct = threshold_pct;
	row->p = NAN;
	row->change_pct = row->change_lo_pct = row->change_hi_pct = NAN;
	row->base = (struct sl_cmp_side){ NAN, NAN, NAN, NAN, mb };
	row->cur = (struct sl_cmp_side){ NAN, NAN, NAN, NAN, mc };
	row->p_cut = o->alpha;
	row->note[0] = '\0';
	if (!b || !c) {
		row->verdict = SL_VERDICT_INCONCLUSIVE;
		snprintf(row->note, sizeof(row->note), "out of memory");
		goto out_free;
	}
	row->base.median = sl_stats_median(b, mb);
	row->cur.median = sl_stats_median(c, mc);
	row->base.level = sl_stats_median_ci(b, mb, SL_CMP_CI_LEVEL, &row->base.ci_lo, &row->base.ci_hi);
	row->cur.level = sl_stats_median_ci(c, mc, SL_CMP_CI_LEVEL, &row->cur.ci_lo, &row->cur.ci_hi);
	if (row->base.median > 0) {
		row->change_pct = (row->cur.median / row->base.median - 1) * 100;
		sl_stats_bootstrap_ratio_ci(c, mc, b, mb, o->bootstrap, 0.95, seed + 2, &lo, &hi);
		row->change_lo_pct = (lo - 1) * 100;
		row->change_hi_pct = (hi - 1) * 100;
	}
	row_test(row, b, mb, c, mc);
	row->significant = row_significant(row, o->alpha);
	decide(row);
out_free:
	free(b);
	free(c);
}

/* Ratios t1[r] / tp[r] of the repetitions numbered alike; returns how many (out has room for np). */
static size_t paired_ratios(const double *t1, const int *r1, size_t n1, const double *tp, const int *rp,
			    size_t np, double scale, double *out)
{
	size_t k = 0;

	for (size_t i = 0; i < np; i++)
		for (size_t j = 0; j < n1; j++)
			if (r1[j] == rp[i] && isfinite(t1[j]) && isfinite(tp[i]) && tp[i] > 0) {
				out[k++] = t1[j] / tp[i] / scale;
				break;
			}
	return k;
}

/* 95% percentile bootstrap CI of (med(a)/med(b)) / (med(c)/med(d)): the change of a speedup. */
static void bootstrap_speedup_change(const double *a, size_t na, const double *b, size_t nb, const double *c,
				     size_t nc, const double *d, size_t nd, int B, uint64_t seed, double *lo,
				     double *hi)
{
	size_t most = na, k = 0;
	double *scratch, *stat;
	struct sl_rng rng;

	*lo = *hi = NAN;
	most = nb > most ? nb : most;
	most = nc > most ? nc : most;
	most = nd > most ? nd : most;
	if (!na || !nb || !nc || !nd || B < 10)
		return;
	scratch = malloc(5 * most * sizeof(*scratch));   /* scratch, then the four samples sorted */
	stat = malloc((size_t)B * sizeof(*stat));
	if (!scratch || !stat)
		goto out_free;
	{
		double *sa = scratch + most, *sb = sa + most, *sc = sb + most, *sd = sc + most;

		memcpy(sa, a, na * sizeof(*a));
		memcpy(sb, b, nb * sizeof(*b));
		memcpy(sc, c, nc * sizeof(*c));
		memcpy(sd, d, nd * sizeof(*d));
		qsort(sa, na, sizeof(*sa), sl_stats_cmp_double);   /* the resampler wants them sorted */
		qsort(sb, nb, sizeof(*sb), sl_stats_cmp_double);
		qsort(sc, nc, sizeof(*sc), sl_stats_cmp_double);
		qsort(sd, nd, sizeof(*sd), sl_stats_cmp_double);
		a = sa;
		b = sb;
		c = sc;
		d = sd;
	}
	sl_rng_seed(&rng, seed);
	for (int i = 0; i < B; i++) {
		double ma = sl_stats_resample_median(&rng, a, na, scratch), mb = sl_stats_resample_median(&rng, b, nb, scratch);
		double mc = sl_stats_resample_median(&rng, c, nc, scratch), md = sl_stats_resample_median(&rng, d, nd, scratch);
		double s = (ma / mb) / (mc / md);

		if (isfinite(s))
			stat[k++] = s;
	}
	if (k) {
		*lo = sl_stats_quantile(stat, k, 0.025);
		*hi = sl_stats_quantile(stat, k, 0.975);
	}
out_free:
	free(stat);
	free(scratch);
}

void sl_cmp_speedup(const double *t1b, const int *rb1, size_t nb1, const double *tpb, const int *rbp, size_t nbp,
		    const double *t1c, const int *rc1, size_t nc1, const double *tpc, const int *rcp, size_t ncp,
		    double scale, double threshold_pct, const struct sl_cmp_options *o, uint64_t seed,
		    struct sl_cmp_row *row)
{
	double *pb = malloc((nbp ? nbp : 1) * sizeof(*pb)), *pc = malloc((ncp ? ncp : 1) * sizeof(*pc));
	size_t npb, npc, nmin;
	double lo, hi;

	row->threshold_pct = threshold_pct;
	row->p = NAN;
	row->change_pct = row->change_lo_pct = row->change_hi_pct = NAN;
	row->base = (struct sl_cmp_side){ NAN, NAN, NAN, NAN, 0 };
	row->cur = (struct sl_cmp_side){ NAN, NAN, NAN, NAN, 0 };
	row->p_cut = o->alpha;
	row->note[0] = '\0';
	if (!pb || !pc || !(scale > 0)) {
		row->verdict = SL_VERDICT_INCONCLUSIVE;
		snprintf(row->note, sizeof(row->note), "out of memory");
		goto out_free;
	}
	npb = paired_ratios(t1b, rb1, nb1, tpb, rbp, nbp, scale, pb);
	npc = paired_ratios(t1c, rc1, nc1, tpc, rcp, ncp, scale, pc);
	row->base.n = npb;
	row->cur.n = npc;
	row->base.median = sl_stats_median(t1b, nb1) / sl_stats_median(tpb, nbp) / scale;
	row->cur.median = sl_stats_median(t1c, nc1) / sl_stats_median(tpc, ncp) / scale;
	/* built as summary.csv builds a speedup's interval: from the medians' order-statistic CIs */
	row->base.level = sl_stats_median_ratio_ci(t1b, nb1, tpb, nbp, SL_CMP_CI_LEVEL, &lo, &hi);
	row->base.ci_lo = lo / scale;
	row->base.ci_hi = hi / scale;
	row->cur.level = sl_stats_median_ratio_ci(t1c, nc1, tpc, ncp, SL_CMP_CI_LEVEL, &lo, &hi);
	row->cur.ci_lo = lo / scale;
	row->cur.ci_hi = hi / scale;
	if (row->base.median > 0 && isfinite(row->base.median)) {
		row->change_pct = (row->cur.median / row->base.median - 1) * 100;
		bootstrap_speedup_change(t1c, nc1, tpc, ncp, t1b, nb1, tpb, nbp, o->bootstrap, seed + 2, &lo, &hi);
		row->change_lo_pct = (lo - 1) * 100;
		row->change_hi_pct = (hi - 1) * 100;
	}
	row_test(row, pb, npb, pc, npc);
	nmin = nb1;
	nmin = nbp < nmin ? nbp : nmin;
	nmin = nc1 < nmin ? nc1 : nmin;
	nmin = ncp < nmin ? ncp : nmin;
	row->nmin = nmin < row->nmin ? nmin : row->nmin;
	row->significant = row_significant(row, o->alpha);
	decide(row);
out_free:
	free(pb);
	free(pc);
}

/* Benjamini-Hochberg over the rows that were tested: the largest k with p_(k) <= k q / m gives the
 * cut; every row's significance and verdict are set again against it. 0 or -ENOMEM. */
int sl_cmp_fdr_decide(struct sl_cmp_result *res, double q)
{
	double *p = malloc((res->nrows ? res->nrows : 1) * sizeof(*p)), cut = -1;
	size_t m = 0;

	if (!p)
		return -ENOMEM;
	for (size_t i = 0; i < res->nrows; i++) {
		const struct sl_cmp_row *r = &res->rows[i];

		if (r->metric.kind != SL_CMP_STATUS && r->nmin >= SL_CMP_MIN_REPS && isfinite(r->p))
			p[m++] = r->p;
	}
	qsort(p, m, sizeof(*p), sl_stats_cmp_double);
	for (size_t k = m; k >= 1; k--)
		if (p[k - 1] <= (double)k * q / (double)m) {
			cut = p[k - 1];
			break;
		}
	res->family = m;
	for (size_t i = 0; i < res->nrows; i++) {
		struct sl_cmp_row *r = &res->rows[i];

		if (r->metric.kind == SL_CMP_STATUS || r->nmin < SL_CMP_MIN_REPS || !isfinite(r->p))
			continue;
		r->p_cut = cut;
		r->significant = row_significant(r, cut);
		decide(r);
	}
	free(p);
	return 0;
}
