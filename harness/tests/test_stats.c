/* test_stats.c: pins the statistics behind every table (stats.c) against hand-computed values. */
#include <math.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include "core/stats.h"

#define N(a) (sizeof(a) / sizeof((a)[0]))
/* cmocka of this Debian has no double comparison */
#define assert_near(a, b, eps)                                                                        \
	do {                                                                                          \
		double a_ = (a), b_ = (b);                                                            \
		if (!(fabs(a_ - b_) <= (eps)))                                                        \
			fail_msg("%s = %.17g, expected %.17g (within %g)", #a, a_, b_, (double)(eps)); \
	} while (0)

static void test_median_and_quantiles(void **state)
{
	double odd[] = { 3, 1, 2 }, even[] = { 4, 1, 3, 2 }, with_nan[] = { NAN, 5, 1, NAN, 3 };
	double five[] = { 5, 4, 3, 2, 1 };

	(void)state;
	assert_near(sl_stats_median(odd, N(odd)), 2, 0);
	assert_near(sl_stats_median(even, N(even)), 2.5, 0);
	assert_near(sl_stats_median(with_nan, N(with_nan)), 3, 0);
	assert_true(isnan(sl_stats_median(NULL, 0)));
	assert_near(sl_stats_quantile(five, N(five), 0.25), 2, 1e-12);
	assert_near(sl_stats_quantile(five, N(five), 0.1), 1.4, 1e-12);
	assert_near(sl_stats_quantile(five, N(five), 0), 1, 0);
	assert_near(sl_stats_quantile(five, N(five), 1), 5, 0);
	/* input untouched */
	assert_near(five[0], 5, 0);
	assert_near(sl_stats_min(with_nan, N(with_nan)), 1, 0);
	assert_near(sl_stats_max(with_nan, N(with_nan)), 5, 0);
	assert_near(sl_stats_mean(with_nan, N(with_nan)), 3, 1e-12);
}

static void test_mad_cv(void **state)
{
	double x[] = { 1, 2, 3, 4, 100 };
	double y[] = { 2, 4, 4, 4, 5, 5, 7, 9 };
	double one[] = { 7 };

	(void)state;
	/* median 3; |x - 3| = 2 1 0 1 97 -> median 1 */
	assert_near(sl_stats_mad(x, N(x)), 1, 0);
	/* mean 5, sample variance 32/7 */
	assert_near(sl_stats_stddev(y, N(y)), sqrt(32.0 / 7.0), 1e-12);
	assert_near(sl_stats_cv(y, N(y)), sqrt(32.0 / 7.0) / 5.0, 1e-12);
	assert_near(sl_stats_mad(one, 1), 0, 0);
	assert_true(isnan(sl_stats_cv(NULL, 0)));
}

/* The order-statistic CI of the median has the coverage the binomial says: [min, max] of n values
 * misses the median with probability 2 / 2^n (n = 5: 93.75%, n = 3: 75%), the next one in from
 * each end 2 (1 + n) / 2^n (n = 9: 96.09%). */
static void test_median_ci_levels(void **state)
{
	double five[] = { 5, 1, 4, 2, 3 }, nine[] = { 9, 8, 7, 6, 5, 4, 3, 2, 1 }, lo, hi;
	double three[] = { 2, NAN, 1, 3 };

	(void)state;
	assert_near(sl_stats_median_ci_level(5, 1), 0.9375, 1e-12);
	assert_near(sl_stats_median_ci_level(3, 1), 0.75, 1e-12);
	assert_near(sl_stats_median_ci_level(7, 1), 1 - 2.0 / 128, 1e-12);
	assert_near(sl_stats_median_ci_level(9, 2), 1 - 2 * 10.0 / 512, 1e-12);
	assert_int_equal(sl_stats_median_ci_min_n(0.95), 6);
	assert_int_equal(sl_stats_median_ci_min_n(0.99), 8);
	/* too few for 95%: [min, max] and the level it really has */
	assert_near(sl_stats_median_ci(five, N(five), 0.95, &lo, &hi), 0.9375, 1e-12);
	assert_near(lo, 1, 0);
	assert_near(hi, 5, 0);
	assert_near(sl_stats_median_ci(three, N(three), 0.95, &lo, &hi), 0.75, 1e-12);
	assert_near(lo, 1, 0);
	assert_near(hi, 3, 0);
	/* 9 values: [x(2), x(8)] covers 96.1% >= 95%; [x(3), x(7)] only 82% */
	assert_near(sl_stats_median_ci(nine, N(nine), 0.95, &lo, &hi), 1 - 20.0 / 512, 1e-12);
	assert_near(lo, 2, 0);
	assert_near(hi, 8, 0);
	/* a lower level narrows it */
	assert_near(sl_stats_median_ci(nine, N(nine), 0.8, &lo, &hi), 1 - 2 * 46.0 / 512, 1e-12);
	assert_near(lo, 3, 0);
	assert_near(hi, 7, 0);
	assert_true(isnan(sl_stats_median_ci(NULL, 0, 0.95, &lo, &hi)));
	assert_true(isnan(lo) && isnan(hi));
	/* large n stays exact enough: the 95% interval of 1000 values is about median +- 31 ranks */
	{
		double big[1000];

		for (int i = 0; i < 1000; i++)
			big[i] = i;
		assert_true(sl_stats_median_ci(big, 1000, 0.95, &lo, &hi) >= 0.95);
		assert_near(lo, 468, 1);
		assert_near(hi, 531, 1);
	}
}

/* The speedup interval: [lo(T1)/hi(TP), hi(T1)/lo(TP)], coverage the product of the two levels. */
static void test_median_ratio_ci(void **state)
{
	double t1[] = { 10, 11, 12, 13, 14 }, tp[] = { 5, 6, 7, 5.5, 6.5 }, lo, hi;

	(void)state;
	assert_near(sl_stats_median_ratio_ci(t1, N(t1), tp, N(tp), 0.95, &lo, &hi), 0.9375 * 0.9375, 1e-12);
	assert_near(lo, 10.0 / 7, 1e-12);
	assert_near(hi, 14.0 / 5, 1e-12);
	assert_true(isnan(sl_stats_median_ratio_ci(t1, N(t1), NULL, 0, 0.95, &lo, &hi)));
}

/* Monte Carlo: over 4000 seeded samples of 9 from an exponential, [x(2), x(8)] covers the true
 * median ln 2 at its stated 96.1% (within 1.5 points). */
static void test_median_ci_coverage(void **state)
{
	struct sl_rng rng;
	int covered = 0, trials = 4000;
	double level = 0;

	(void)state;
	sl_rng_seed(&rng, 17);
	for (int t = 0; t < trials; t++) {
		double x[9], lo, hi;

		for (int i = 0; i < 9; i++)
			x[i] = -log(1 - sl_rng_uniform(&rng));
		level = sl_stats_median_ci(x, 9, 0.95, &lo, &hi);
		covered += lo <= M_LN2 && M_LN2 <= hi;
	}
	assert_near((double)covered / trials, level, 0.015);
}

static void test_outliers(void **state)
{
	double x[] = { 10, 10.1, 9.9, 10, 10.2, 9.8, 20 };
	double z[N(x)];
	double flat[] = { 1, 1, 1, 2 };

	(void)state;
	/* median 10, MAD 0.1: z(20) = 0.6745 * 10 / 0.1 = 67.45, z(10.2) = 1.349 */
	assert_int_equal(sl_stats_outliers(x, N(x), z), 1);
	assert_near(z[6], 67.45, 1e-9);
	assert_near(z[4], 1.349, 1e-9);
	assert_near(z[0], 0, 0);
	/* MAD 0: anything off the median is an outlier */
	assert_int_equal(sl_stats_outliers(flat, N(flat), NULL), 1);
}

/* Over 200 seeded trials of 15 draws from N(10, 1), the 95% bootstrap CI of the median covers the
 * true median 10 between 88% and 99% of the time (percentile bootstrap undercovers a little). */
static void test_bootstrap_coverage(void **state)
{
	struct sl_rng rng;
	int covered = 0, trials = 200;
	double lo1, hi1, lo2, hi2;

	(void)state;
	sl_rng_seed(&rng, 12345);
	for (int t = 0; t < trials; t++) {
		double x[15], lo, hi;

		for (size_t i = 0; i < N(x); i++)
			x[i] = 10 + sl_rng_normal(&rng);
		sl_stats_bootstrap_median_ci(x, N(x), 1000, 0.95, (uint64_t)t + 1, &lo, &hi);
		assert_true(lo <= hi);
		assert_true(lo <= sl_stats_median(x, N(x)) && sl_stats_median(x, N(x)) <= hi);
		covered += lo <= 10 && 10 <= hi;
	}
	print_message("median CI coverage: %d of %d\n", covered, trials);
	assert_in_range(covered, trials * 88 / 100, trials * 99 / 100);
	/* deterministic given the seed */
	{
		double x[] = { 1, 2, 3, 4, 5, 6, 7 };

		sl_stats_bootstrap_median_ci(x, N(x), 500, 0.95, 7, &lo1, &hi1);
		sl_stats_bootstrap_median_ci(x, N(x), 500, 0.95, 7, &lo2, &hi2);
		assert_near(lo1, lo2, 0);
		assert_near(hi1, hi2, 0);
	}
	sl_stats_bootstrap_median_ci(NULL, 0, 500, 0.95, 7, &lo1, &hi1);
	assert_true(isnan(lo1) && isnan(hi1));
}

/* A large sample (its resample medians drawn from their exact distribution): over 100 seeded
 * trials of 1000 and 1001 draws from N(10, 1), the 95% CI of the median covers 10 between 88% and
 * 100% of the time and is as wide as theory says (2 x 1.96 x sqrt(pi/2) / sqrt(n) = 0.155). */
static void test_bootstrap_large_sample(void **state)
{
	static double x[1001];
	struct sl_rng rng;
	int covered = 0, trials = 100;
	double width = 0;

	(void)state;
	sl_rng_seed(&rng, 54321);
	for (int t = 0; t < trials; t++) {
		size_t n = 1000 + (size_t)(t % 2);   /* even and odd: one middle value or two */
		double lo, hi, med;

		for (size_t i = 0; i < n; i++)
			x[i] = 10 + sl_rng_normal(&rng);
		med = sl_stats_median(x, n);
		sl_stats_bootstrap_median_ci(x, n, 2000, 0.95, (uint64_t)t + 1, &lo, &hi);
		assert_true(lo <= med && med <= hi);
		covered += lo <= 10 && 10 <= hi;
		width += (hi - lo) / trials;
	}
	print_message("large-sample median CI: coverage %d of %d, mean width %.3f\n", covered, trials, width);
	assert_in_range(covered, trials * 88 / 100, trials);
	assert_true(width > 0.12 && width < 0.19);
}

static void test_ratio_ci(void **state)
{
	struct sl_rng rng;
	double t1[9], tp[9], lo, hi, s;
	int covered = 0;

	(void)state;
	sl_rng_seed(&rng, 99);
	for (size_t i = 0; i < N(t1); i++) {
		t1[i] = 1.0 * (1 + 0.01 * sl_rng_normal(&rng));
		tp[i] = 0.5 * (1 + 0.01 * sl_rng_normal(&rng));
	}
	s = sl_stats_median(t1, N(t1)) / sl_stats_median(tp, N(tp));
	sl_stats_bootstrap_ratio_ci(t1, N(t1), tp, N(tp), 2000, 0.95, 3, &lo, &hi);
	assert_true(lo <= s && s <= hi);
	assert_true(lo > 1.9 && hi < 2.1);
	/* coverage of the true ratio 2 over seeded trials */
	for (int t = 0; t < 100; t++) {
		for (size_t i = 0; i < N(t1); i++) {
			t1[i] = 1.0 + 0.02 * sl_rng_normal(&rng);
			tp[i] = 0.5 + 0.01 * sl_rng_normal(&rng);
		}
		sl_stats_bootstrap_ratio_ci(t1, N(t1), tp, N(tp), 500, 0.95, (uint64_t)t, &lo, &hi);
		covered += lo <= 2 && 2 <= hi;
	}
	print_message("ratio CI coverage: %d of 100\n", covered);
	assert_in_range(covered, 85, 100);
}

static void test_karp_flatt(void **state)
{
	(void)state;
	/* (1/1.8 - 1/2) / (1 - 1/2) = 1/9 */
	assert_near(sl_stats_karp_flatt(1.8, 2), 1.0 / 9.0, 1e-12);
	/* (1/3.2 - 1/4) / (3/4) = 0.0625 / 0.75 */
	assert_near(sl_stats_karp_flatt(3.2, 4), 0.0625 / 0.75, 1e-12);
	/* perfect speedup: 0 */
	assert_near(sl_stats_karp_flatt(8, 8), 0, 1e-12);
	assert_true(isnan(sl_stats_karp_flatt(1, 1)));
	assert_true(isnan(sl_stats_karp_flatt(NAN, 4)));
}

static void test_amdahl_fit(void **state)
{
	int p[] = { 1, 2, 4, 8, 16 };
	double s[N(p)];
	struct sl_rng rng;
	double f;

	(void)state;
	for (double truth = 0; truth <= 0.5; truth += 0.05) {
		for (size_t i = 0; i < N(p); i++)
			s[i] = 1.0 / (truth + (1 - truth) / p[i]);
		assert_near(sl_stats_amdahl_fit(p, s, N(p)), truth, 1e-9);
	}
	/* 1% multiplicative noise: still close */
	sl_rng_seed(&rng, 4);
	for (int t = 0; t < 20; t++) {
		for (size_t i = 0; i < N(p); i++)
			s[i] = 1.0 / (0.1 + 0.9 / p[i]) * (1 + 0.01 * sl_rng_normal(&rng));
		f = sl_stats_amdahl_fit(p, s, N(p));
		assert_true(fabs(f - 0.1) < 0.02);
	}
	/* superlinear speedups clamp to 0; one process count is not a fit */
	for (size_t i = 0; i < N(p); i++)
		s[i] = 1.2 * p[i];
	assert_near(sl_stats_amdahl_fit(p + 1, s + 1, N(p) - 1), 0, 0);
	assert_true(isnan(sl_stats_amdahl_fit(p, s, 1)));
	/* NAN speedups are ignored */
	s[0] = 1;
	s[1] = NAN;
	s[2] = 1.0 / (0.2 + 0.8 / 4);
	assert_near(sl_stats_amdahl_fit(p, s, 3), 0.2, 1e-9);
}

static void test_mann_whitney(void **state)
{
	double a[] = { 1, 2, 3 }, b[] = { 4, 5, 6 };
	double c[] = { 1, 3, 5 }, d[] = { 2, 4, 6 };
	double e[] = { 1, 2, 3, 4, 5 }, f[] = { 6, 7, 8, 9, 10 };
	/* with ties: normal approximation, tie and continuity correction (scipy's asymptotic method):
	 * ranks 1 | 3 3 3 | 5.5 5.5 | 7.5 7.5 | 9, R_a = 1 + 3 + 3 + 5.5 = 12.5, U = 12.5 - 10 = 2.5,
	 * mean 10, var = 4*5/12 * (10 - ((27-3) + (8-2) + (8-2)) / (9*8)) */
	double g[] = { 1, 2, 2, 3 }, h[] = { 2, 3, 4, 4, 5 };
	double u = 2.5, var = 20.0 / 12.0 * (10.0 - 36.0 / 72.0);
	double want = erfc((fabs(u - 10) - 0.5) / sqrt(var) / sqrt(2.0));

	(void)state;
	/* exact: U = 0 of C(6,3) = 20 orderings, two-sided 2/20 */
	assert_near(sl_stats_mann_whitney_p(a, 3, b, 3), 0.1, 1e-12);
	/* U = 3: P(|U - 4.5| >= 1.5) = 14/20 */
	assert_near(sl_stats_mann_whitney_p(c, 3, d, 3), 0.7, 1e-12);
	/* 2 / C(10,5) */
	assert_near(sl_stats_mann_whitney_p(e, 5, f, 5), 2.0 / 252.0, 1e-12);
	assert_near(sl_stats_mann_whitney_p(g, 4, h, 5), want, 1e-9);
	assert_true(isnan(sl_stats_mann_whitney_p(a, 0, b, 3)));
}

static void test_rng_shuffle(void **state)
{
	struct sl_rng r1, r2;
	int v[10], w[10], seen[10] = { 0 };

	(void)state;
	for (int i = 0; i < 10; i++)
		v[i] = w[i] = i;
	sl_rng_seed(&r1, 42);
	sl_rng_seed(&r2, 42);
	sl_rng_shuffle(&r1, v, 10);
	sl_rng_shuffle(&r2, w, 10);
	for (int i = 0; i < 10; i++) {
		assert_int_equal(v[i], w[i]);
		seen[v[i]]++;
	}
	for (int i = 0; i < 10; i++)
		assert_int_equal(seen[i], 1);
	for (int i = 0; i < 1000; i++) {
		double u = sl_rng_uniform(&r1);

		assert_true(u >= 0 && u < 1);
	}
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_median_and_quantiles),
		cmocka_unit_test(test_mad_cv),
		cmocka_unit_test(test_outliers),
		cmocka_unit_test(test_bootstrap_coverage),
		cmocka_unit_test(test_bootstrap_large_sample),
		cmocka_unit_test(test_ratio_ci),
		cmocka_unit_test(test_median_ci_levels),
		cmocka_unit_test(test_median_ratio_ci),
		cmocka_unit_test(test_median_ci_coverage),
		cmocka_unit_test(test_karp_flatt),
		cmocka_unit_test(test_amdahl_fit),
		cmocka_unit_test(test_mann_whitney),
		cmocka_unit_test(test_rng_shuffle),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
