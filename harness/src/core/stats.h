/* stats.h: the statistics behind every table and verdict (median, MAD, bootstrap, Karp-Flatt, Amdahl, Mann-Whitney). */
#ifndef SL_STATS_H
#define SL_STATS_H

#include <stddef.h>
#include <stdint.h>
#include <stdbool.h>

/* All functions ignore NAN entries and never modify their input unless they say so.
 * An empty input gives NAN. None of them fails otherwise. */
double sl_stats_median(const double *x, size_t n);
double sl_stats_mean(const double *x, size_t n);
double sl_stats_min(const double *x, size_t n);
double sl_stats_max(const double *x, size_t n);
double sl_stats_stddev(const double *x, size_t n);       /* sample standard deviation (n-1) */
double sl_stats_cv(const double *x, size_t n);           /* stddev / mean */
double sl_stats_mad(const double *x, size_t n);          /* median absolute deviation (unscaled) */
double sl_stats_quantile(const double *x, size_t n, double q);  /* linear interpolation, q in [0,1] */
/* Modified z-score (Iglewicz-Hoaglin: 0.6745 (x - median) / MAD) of each entry into z;
 * returns how many exceed 3.5 in absolute value. With MAD 0, z is 0 for the median and inf otherwise. */
size_t sl_stats_outliers(const double *x, size_t n, double *z);

/* Distribution-free confidence interval of the median from order statistics: the narrowest
 * [x(k), x(n+1-k)] of the sorted non-NAN values whose coverage 1 - 2 P(Bin(n, 1/2) <= k-1) is at
 * least level. Returns that actual coverage (n = 5: [min, max] at 0.9375). When even [min, max]
 * falls short of level (n < 6 for 95%), lo, hi are min and max and the smaller coverage is
 * returned: callers say so. NAN (and NAN bounds) for no values. Never fails otherwise. */
double sl_stats_median_ci(const double *x, size_t n, double level, double *lo, double *hi);
/* The coverage of [x(k), x(n+1-k)] as a CI of the median of n values (1 <= k <= n/2 + 1). */
double sl_stats_median_ci_level(size_t n, size_t k);
/* The fewest values whose [min, max]-or-narrower order-statistic CI reaches level (6 for 0.95). */
size_t sl_stats_median_ci_min_n(double level);
/* The speedup interval built the same way: [lo(a)/hi(b), hi(a)/lo(b)] from the two medians'
 * order-statistic CIs at level each; returns its coverage, at least the product of the two
 * levels (independent samples). NAN when either side is empty or b's interval touches 0. */
double sl_stats_median_ratio_ci(const double *a, size_t na, const double *b, size_t nb, double level,
				double *lo, double *hi);

/* qsort comparison of doubles (NAN-free input). */
int sl_stats_cmp_double(const void *a, const void *b);
struct sl_rng;
/* The median of m values drawn with replacement from v (m entries, sorted ascending) using scratch
 * (m entries): one bootstrap resample (above 256 values drawn from its exact distribution). */
double sl_stats_resample_median(struct sl_rng *rng, const double *v, size_t m, double *scratch);

/* Percentile bootstrap 95% (level) CI of the median, B resamples, seeded: deterministic. */
void sl_stats_bootstrap_median_ci(const double *x, size_t n, int B, double level, uint64_t seed,
				  double *lo, double *hi);
/* Percentile bootstrap CI of median(a)/median(b) (a speedup when a holds T(1) and b T(P)). */
void sl_stats_bootstrap_ratio_ci(const double *a, size_t na, const double *b, size_t nb, int B,
				 double level, uint64_t seed, double *lo, double *hi);

/* Karp-Flatt experimentally determined serial fraction e = (1/S - 1/P) / (1 - 1/P); NAN for P <= 1. */
double sl_stats_karp_flatt(double speedup, int p);
/* Least-squares Amdahl fit of the serial fraction f from (P, S) pairs: 1/S = f + (1-f)/P, f clamped
 * to [0,1]. NAN when fewer than 2 distinct P. */
double sl_stats_amdahl_fit(const int *p, const double *speedup, size_t n);

/* Mann-Whitney U two-sided test of a against b; returns the p-value (normal approximation with tie
 * and continuity correction; exact distribution when both sizes are <= 10 and there are no ties). */
double sl_stats_mann_whitney_p(const double *a, size_t na, const double *b, size_t nb);

/* A small fast PRNG (splitmix64 seeded xoshiro256**). */
struct sl_rng { uint64_t s[4]; };
void sl_rng_seed(struct sl_rng *r, uint64_t seed);
uint64_t sl_rng_next(struct sl_rng *r);
double sl_rng_uniform(struct sl_rng *r);                 /* [0,1) */
double sl_rng_normal(struct sl_rng *r);                  /* standard normal */
/* Fisher-Yates shuffle of n ints. */
void sl_rng_shuffle(struct sl_rng *r, int *v, size_t n);

#endif
