/* changepoint.h: where the level of a series shifts (binary segmentation with Pettitt's rank
 * statistic and a seeded permutation test), for the regression history. */
#ifndef SL_CHANGEPOINT_H
#define SL_CHANGEPOINT_H

#include <stddef.h>
#include <stdint.h>

struct sl_cp_options {
	double alpha;          /* significance of each split (default 0.01) */
	int permutations;      /* of the permutation test (default 999) */
	int min_segment;       /* shortest segment on either side of a change (default 3) */
	uint64_t seed;         /* the permutations are seeded: the result is deterministic */
};
/* The defaults above. Never fails. */
void sl_cp_options_init(struct sl_cp_options *o);

/* Pettitt's test on x[0..n): K = max |U_t| over the splits t in [min_segment, n - min_segment],
 * U_t = sum over i < t <= j of sign(x[j] - x[i]). Returns the permutation p-value (when it reaches
 * alpha the count stops early: the value is then only known to be >= alpha) and sets *at to the
 * split (the first index of the new level). Returns 1 (and *at = 0) when the series is too short
 * to split, NAN when out of memory. x must be finite. */
double sl_cp_pettitt(const double *x, size_t n, const struct sl_cp_options *o, uint64_t seed, size_t *at);

/* Binary segmentation: split x[0..n) where Pettitt's test is significant, then each side again,
 * until no segment splits. Writes the change points (indices where a new level starts, ascending)
 * to cp, at most max of them. Returns their count, -EINVAL when x holds a non-finite value,
 * or -ENOMEM. */
int sl_cp_detect(const double *x, size_t n, const struct sl_cp_options *o, size_t *cp, size_t max);

#endif
