/* stats.c: the statistics behind every table and verdict. */
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "core/stats.h"

/* Copy the non-NAN entries of x into a fresh sorted array; *m gets their count. NULL when none. */
int sl_stats_cmp_double(const void *a, const void *b)
{
	double x = *(const double *)a, y = *(const double *)b;

	return (x > y) - (x < y);
}

static double *sorted_copy(const double *x, size_t n, size_t *m)
{
	double *v;
	size_t k = 0;

	*m = 0;
	if (n == 0)
		return NULL;
	v = malloc(n * sizeof(*v));
	if (!v)
		return NULL;
	for (size_t i = 0; i < n; i++)
		if (!isnan(x[i]))
			v[k++] = x[i];
	if (k == 0) {
		free(v);
		return NULL;
	}
	qsort(v, k, sizeof(*v), sl_stats_cmp_double);   /* n log n: a runs.csv may hold thousands of repetitions */
	*m = k;
	return v;
}

static double quantile_sorted(const double *v, size_t m, double q)
{
	double pos, frac;
	size_t lo;

	if (m == 0)
		return NAN;
	if (q <= 0)
		return v[0];
	if (q >= 1)
		return v[m - 1];
	pos = q * (double)(m - 1);
	lo = (size_t)pos;
	frac = pos - (double)lo;
	if (lo + 1 >= m)
		return v[m - 1];
	return v[lo] + frac * (v[lo + 1] - v[lo]);
}

double sl_stats_quantile(const double *x, size_t n, double q)
{
	size_t m;
	double *v = sorted_copy(x, n, &m);
	double r = quantile_sorted(v, m, q);

	free(v);
	return r;
}

double sl_stats_median(const double *x, size_t n)
{
	return sl_stats_quantile(x, n, 0.5);
}

double sl_stats_mean(const double *x, size_t n)
{
	double sum = 0;
	size_t k = 0;

	for (size_t i = 0; i < n; i++)
		if (!isnan(x[i])) {
			sum += x[i];
			k++;
		}
	return k ? sum / (double)k : NAN;
}

double sl_stats_min(const double *x, size_t n)
{
	double r = NAN;

	for (size_t i = 0; i < n; i++)
		if (!isnan(x[i]) && (isnan(r) || x[i] < r))
			r = x[i];
	return r;
}

double sl_stats_max(const double *x, size_t n)
{
	double r = NAN;

	for (size_t i = 0; i < n; i++)
		if (!isnan(x[i]) && (isnan(r) || x[i] > r))
			r = x[i];
	return r;
}

double sl_stats_stddev(const double *x, size_t n)
{
	double mean = sl_stats_mean(x, n), ss = 0;
	size_t k = 0;

	if (isnan(mean))
		return NAN;
	for (size_t i = 0; i < n; i++)
		if (!isnan(x[i])) {
			ss += (x[i] - mean) * (x[i] - mean);
			k++;
		}
	return k > 1 ? sqrt(ss / (double)(k - 1)) : 0.0;
}

double sl_stats_cv(const double *x, size_t n)
{
	double mean = sl_stats_mean(x, n);

	if (isnan(mean) || mean == 0)
		return NAN;
	return sl_stats_stddev(x, n) / fabs(mean);
}

double sl_stats_mad(const double *x, size_t n)
{
	double med = sl_stats_median(x, n), r;
	double *dev;
	size_t k = 0;

	if (isnan(med))
		return NAN;
	dev = malloc(n * sizeof(*dev));
	if (!dev)
		return NAN;
	for (size_t i = 0; i < n; i++)
		if (!isnan(x[i]))
			dev[k++] = fabs(x[i] - med);
	r = sl_stats_median(dev, k);
	free(dev);
	return r;
}

size_t sl_stats_outliers(const double *x, size_t n, double *z)
{
	double med = sl_stats_median(x, n), mad = sl_stats_mad(x, n);
	size_t count = 0;

	for (size_t i = 0; i < n; i++) {
		double zi;

		if (isnan(x[i]) || isnan(med)) {
			zi = NAN;
		} else if (mad > 0) {
			zi = 0.6745 * (x[i] - med) / mad;
		} else {
			zi = x[i] == med ? 0.0 : (x[i] > med ? INFINITY : -INFINITY);
		}
		if (z)
			z[i] = zi;
		if (!isnan(zi) && fabs(zi) > 3.5)
			count++;
	}
	return count;
}

/* ---- random numbers ---- */

static uint64_t splitmix64(uint64_t *x)
{
	uint64_t z = (*x += 0x9e3779b97f4a7c15ULL);

	z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ULL;
	z = (z ^ (z >> 27)) * 0x94d049bb133111ebULL;
	return z ^ (z >> 31);
}

void sl_rng_seed(struct sl_rng *r, uint64_t seed)
{
	for (int i = 0; i < 4; i++)
		r->s[i] = splitmix64(&seed);
}

static inline uint64_t rotl(uint64_t x, int k)
{
	return (x << k) | (x >> (64 - k));
}

uint64_t sl_rng_next(struct sl_rng *r)
{
	uint64_t *s = r->s;
	uint64_t result = rotl(s[1] * 5, 7) * 9;
	uint64_t t = s[1] << 17;

	s[2] ^= s[0];
	s[3] ^= s[1];
	s[1] ^= s[2];
	s[0] ^= s[3];
	s[2] ^= t;
	s[3] = rotl(s[3], 45);
	return result;
}

double sl_rng_uniform(struct sl_rng *r)
{
	return (double)(sl_rng_next(r) >> 11) * 0x1.0p-53;
}

double sl_rng_normal(struct sl_rng *r)
{
	double u1, u2;

	do
		u1 = sl_rng_uniform(r);
	while (u1 <= 0);
	u2 = sl_rng_uniform(r);
	return sqrt(-2.0 * log(u1)) * cos(2.0 * M_PI * u2);
}

void sl_rng_shuffle(struct sl_rng *r, int *v, size_t n)
{
	for (size_t i = n; i > 1; i--) {
		size_t j = (size_t)(sl_rng_next(r) % i);
		int t = v[i - 1];

		v[i - 1] = v[j];
		v[j] = t;
	}
}

/* ---- bootstrap ---- */

/* A Gamma(shape) variate, shape >= 1 (Marsaglia and Tsang's method). */
static double gamma_variate(struct sl_rng *rng, double shape)
{
	double d = shape - 1.0 / 3, c = 1 / sqrt(9 * d);

	for (;;) {
		double x = sl_rng_normal(rng), v = 1 + c * x, u;

		if (v <= 0)
			continue;
		v = v * v * v;
		u = sl_rng_uniform(rng);
		if (u < 1 - 0.0331 * x * x * x * x || log(u) < 0.5 * x * x + d * (1 - v + log(v)))
			return d * v;
	}
}

/* Resamples larger than this draw their median directly (below): the same bootstrap, in time
 * independent of the sample's size. Smaller ones draw every value (the figures of the usual few
 * repetitions stay as they were). */
#define RESAMPLE_DRAWN_MAX 256

/* The median of m values drawn with replacement from v (m entries, sorted), drawn from its exact
 * distribution: the j-th smallest of m draws is v[floor(m U)] with U the j-th smallest of m
 * uniforms, a Beta(j, m - j + 1) variate; the next one above it is U + (1 - U) times the least of
 * the m - j uniforms left. */
static double resample_median_direct(struct sl_rng *rng, const double *v, size_t m)
{
	size_t k = (m - 1) / 2, i, j;   /* the lower middle, 0-based: the (k+1)-th smallest */
	double a = gamma_variate(rng, (double)(k + 1)), b = gamma_variate(rng, (double)(m - k));
	double u = a / (a + b), w;

	i = (size_t)(u * (double)m);
	i = i < m ? i : m - 1;
	if (m % 2)
		return v[i];
	w = u + (1 - u) * (1 - pow(sl_rng_uniform(rng), 1.0 / (double)(m - k - 1)));
	j = (size_t)(w * (double)m);
	j = j < m ? j : m - 1;
	return v[i] + 0.5 * (v[j] - v[i]);
}

double sl_stats_resample_median(struct sl_rng *rng, const double *v, size_t m, double *scratch)
{
	if (m > RESAMPLE_DRAWN_MAX)
		return resample_median_direct(rng, v, m);
	for (size_t i = 0; i < m; i++)
		scratch[i] = v[sl_rng_next(rng) % m];
	qsort(scratch, m, sizeof(double), sl_stats_cmp_double);
	return quantile_sorted(scratch, m, 0.5);
}

void sl_stats_bootstrap_median_ci(const double *x, size_t n, int B, double level, uint64_t seed,
				  double *lo, double *hi)
{
	sl_stats_bootstrap_ratio_ci(x, n, NULL, 0, B, level, seed, lo, hi);
}

void sl_stats_bootstrap_ratio_ci(const double *a, size_t na, const double *b, size_t nb, int B,
				 double level, uint64_t seed, double *lo, double *hi)
{
	size_t ma, mb = 0;
	double *va = sorted_copy(a, na, &ma), *vb = b ? sorted_copy(b, nb, &mb) : NULL;
	double *stat = NULL, *scratch = NULL;
	struct sl_rng rng;
	int k = 0;

	*lo = *hi = NAN;
	if (!va || (b && !vb) || B < 10)
		goto out_free;
	stat = malloc((size_t)B * sizeof(*stat));
	scratch = malloc((ma > mb ? ma : mb) * sizeof(*scratch));
	if (!stat || !scratch)
		goto out_free;
	sl_rng_seed(&rng, seed);
	for (int i = 0; i < B; i++) {
		double s = sl_stats_resample_median(&rng, va, ma, scratch);

		if (vb) {
			double d = sl_stats_resample_median(&rng, vb, mb, scratch);

			if (d == 0)
				continue;
			s /= d;
		}
		stat[k++] = s;
	}
	if (k == 0)
		goto out_free;
	qsort(stat, (size_t)k, sizeof(double), sl_stats_cmp_double);
	*lo = quantile_sorted(stat, (size_t)k, (1 - level) / 2);
	*hi = quantile_sorted(stat, (size_t)k, 1 - (1 - level) / 2);
out_free:
	free(scratch);
	free(stat);
	free(vb);
	free(va);
}

/* ---- order-statistic CI of the median ---- */

/* P(Bin(n, 1/2) <= j), summed in log space: exact enough for any n of repetitions. */
static double binom_half_cdf(size_t n, size_t j)
{
	double sum = 0, lfn = lgamma((double)n + 1);

	for (size_t i = 0; i <= j && i <= n; i++)
		sum += exp(lfn - lgamma((double)i + 1) - lgamma((double)(n - i) + 1) - (double)n * M_LN2);
	return sum > 1 ? 1 : sum;
}

double sl_stats_median_ci_level(size_t n, size_t k)
{
	if (n == 0 || k == 0 || 2 * k > n + 1)
		return 0;
	return 1 - 2 * binom_half_cdf(n, k - 1);
}

size_t sl_stats_median_ci_min_n(double level)
{
	size_t n = 1;

	while (n < 64 && sl_stats_median_ci_level(n, 1) < level)
		n++;
	return n;
}

double sl_stats_median_ci(const double *x, size_t n, double level, double *lo, double *hi)
{
	size_t m, k = 1;
	double *v = sorted_copy(x, n, &m), got;

	*lo = *hi = NAN;
	if (!v)
		return NAN;
	/* the largest k (narrowest interval) that still covers level */
	while (2 * (k + 1) <= m + 1 && sl_stats_median_ci_level(m, k + 1) >= level)
		k++;
	got = sl_stats_median_ci_level(m, k);
	if (m == 1)
		got = 0;
	*lo = v[k - 1];
	*hi = v[m - k];
	free(v);
	return got;
}

double sl_stats_median_ratio_ci(const double *a, size_t na, const double *b, size_t nb, double level,
				double *lo, double *hi)
{
	double alo, ahi, blo, bhi, la = sl_stats_median_ci(a, na, level, &alo, &ahi);
	double lb = sl_stats_median_ci(b, nb, level, &blo, &bhi);

	*lo = *hi = NAN;
	if (isnan(la) || isnan(lb) || !(blo > 0))
		return NAN;
	*lo = alo / bhi;
	*hi = ahi / blo;
	return la * lb;
}

/* ---- speedup models ---- */

double sl_stats_karp_flatt(double speedup, int p)
{
	if (p <= 1 || isnan(speedup) || speedup <= 0)
		return NAN;
	return (1.0 / speedup - 1.0 / p) / (1.0 - 1.0 / p);
}

double sl_stats_amdahl_fit(const int *p, const double *speedup, size_t n)
{
	/* 1/S = f + (1 - f)/P  <=>  (1/S - 1/P) = f (1 - 1/P): least squares through the origin. */
	double num = 0, den = 0;
	int pmin = 0, pmax = 0;

	for (size_t i = 0; i < n; i++) {
		double x, y;

		if (p[i] < 1 || isnan(speedup[i]) || speedup[i] <= 0)
			continue;
		if (pmin == 0 || p[i] < pmin)
			pmin = p[i];
		if (p[i] > pmax)
			pmax = p[i];
		x = 1.0 - 1.0 / p[i];
		y = 1.0 / speedup[i] - 1.0 / p[i];
		num += x * y;
		den += x * x;
	}
	if (pmin == pmax || den == 0)
		return NAN;
	num /= den;
	return num < 0 ? 0 : (num > 1 ? 1 : num);
}

/* ---- Mann-Whitney U ---- */

/* Exact two-sided p of U under the null, sizes n, m <= 10 without ties. U counts the pairs a > b:
 * walking the merged order upwards, an 'a' placed after j b's adds j. dp[i][j][u] counts the
 * orderings of i a's and j b's that reach u. */
static double exact_two_sided_p(size_t n, size_t m, double u)
{
	static double dp[11][11][101];
	double total = 0, tail = 0, mean = (double)(n * m) / 2.0, d = fabs(u - mean);

	memset(dp, 0, sizeof(dp));
	dp[0][0][0] = 1;
	for (size_t i = 0; i <= n; i++)
		for (size_t j = 0; j <= m; j++)
			for (size_t k = 0; k <= n * m; k++) {
				if (i == 0 && j == 0)
					continue;
				dp[i][j][k] = (i > 0 && k >= j ? dp[i - 1][j][k - j] : 0) +
					      (j > 0 ? dp[i][j - 1][k] : 0);
			}
	for (size_t k = 0; k <= n * m; k++) {
		total += dp[n][m][k];
		if (fabs((double)k - mean) >= d - 1e-9)
			tail += dp[n][m][k];
	}
	return total > 0 ? (tail / total > 1 ? 1 : tail / total) : NAN;
}

double sl_stats_mann_whitney_p(const double *a, size_t na, const double *b, size_t nb)
{
	size_t n = 0, m = 0, N;
	struct item { double v; int group; double rank; } *it;
	double ra = 0, u, mean, var, tie_sum = 0, z;
	bool ties = false;

	for (size_t i = 0; i < na; i++)
		n += !isnan(a[i]);
	for (size_t i = 0; i < nb; i++)
		m += !isnan(b[i]);
	if (n == 0 || m == 0)
		return NAN;
	N = n + m;
	it = malloc(N * sizeof(*it));
	if (!it)
		return NAN;
	{
		size_t k = 0;

		for (size_t i = 0; i < na; i++)
			if (!isnan(a[i]))
				it[k++] = (struct item){ a[i], 0, 0 };
		for (size_t i = 0; i < nb; i++)
			if (!isnan(b[i]))
				it[k++] = (struct item){ b[i], 1, 0 };
	}
	for (size_t i = 1; i < N; i++) {
		struct item t = it[i];
		size_t j = i;

		while (j > 0 && it[j - 1].v > t.v) {
			it[j] = it[j - 1];
			j--;
		}
		it[j] = t;
	}
	for (size_t i = 0; i < N;) {
		size_t j = i;

		while (j + 1 < N && it[j + 1].v == it[i].v)
			j++;
		for (size_t k = i; k <= j; k++)
			it[k].rank = (double)(i + j) / 2.0 + 1.0;
		if (j > i) {
			double t = (double)(j - i + 1);

			ties = true;
			tie_sum += t * t * t - t;
		}
		i = j + 1;
	}
	for (size_t i = 0; i < N; i++)
		if (it[i].group == 0)
			ra += it[i].rank;
	free(it);
	u = ra - (double)n * (double)(n + 1) / 2.0;
	if (!ties && n <= 10 && m <= 10)
		return exact_two_sided_p(n, m, u);
	mean = (double)n * (double)m / 2.0;
	var = (double)n * (double)m / 12.0 * ((double)(N + 1) - tie_sum / ((double)N * (double)(N - 1)));
	if (var <= 0)
		return 1.0;
	z = (fabs(u - mean) - 0.5) / sqrt(var);
	if (z < 0)
		z = 0;
	return erfc(z / sqrt(2.0));
}
