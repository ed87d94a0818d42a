/* changepoint.c: level shifts in a history series. Pettitt's test is the Mann-Whitney statistic
 * maximised over the split point, so it is rank based (one wild run does not make a step) and its
 * permutation p-value needs no assumption on the noise; binary segmentation applies it again on
 * each side of every change found, so a slow drift becomes a staircase of changes that adds up. */
#include <errno.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "analysis/changepoint.h"
#include "core/stats.h"

void sl_cp_options_init(struct sl_cp_options *o)
{
	o->alpha = 0.01;
	o->permutations = 999;
	o->min_segment = 3;
	o->seed = 0xc4a9e11ULL;
}

struct ranked {
	double v;
	size_t i;
};

static int cmp_ranked(const void *a, const void *b)
{
	double x = ((const struct ranked *)a)->v, y = ((const struct ranked *)b)->v;

	return (x > y) - (x < y);
}

/* max |U_t| over t in [lo, hi], U_t = sum_{i<t} (rank2[i] - n - 1); the argmax into *at. */
static long long pettitt_k(const int *rank2, size_t n, size_t lo, size_t hi, size_t *at)
{
	long long u = 0, best = -1;

	for (size_t t = 1; t <= hi; t++) {
		u += (long long)rank2[t - 1] - (long long)n - 1;
		if (t >= lo && llabs(u) > best) {
			best = llabs(u);
			if (at)
				*at = t;
		}
	}
	return best;
}

double sl_cp_pettitt(const double *x, size_t n, const struct sl_cp_options *o, uint64_t seed, size_t *at)
{
	size_t ms = o->min_segment > 0 ? (size_t)o->min_segment : 1, lo = ms, hi;
	struct ranked *r;
	int *rank2, *perm;
	long long k;
	long count = 0, done = 0;
	struct sl_rng rng;
	double p = NAN;

	*at = 0;
	if (n < 2 * ms || n > (size_t)1 << 24)
		return 1;
	hi = n - ms;
	r = malloc(n * sizeof(*r));
	rank2 = malloc(n * sizeof(*rank2));
	perm = malloc(n * sizeof(*perm));
	if (!r || !rank2 || !perm)
		goto out_free;
	for (size_t i = 0; i < n; i++)
		r[i] = (struct ranked){ x[i], i };
	qsort(r, n, sizeof(*r), cmp_ranked);
	for (size_t i = 0; i < n;) {
		size_t j = i;

		while (j + 1 < n && r[j + 1].v == r[i].v)
			j++;
		for (size_t m = i; m <= j; m++)
			rank2[r[m].i] = (int)(i + j + 2);   /* twice the average rank */
		i = j + 1;
	}
	k = pettitt_k(rank2, n, lo, hi, at);
	if (k == 0) {
		p = 1;
		goto out_free;
	}
	memcpy(perm, rank2, n * sizeof(*perm));
	sl_rng_seed(&rng, seed);
	for (int b = 0; b < o->permutations; b++) {
		sl_rng_shuffle(&rng, perm, n);
		count += pettitt_k(perm, n, lo, hi, NULL) >= k;
		done++;
		if ((double)(count + 1) / (double)(o->permutations + 1) >= o->alpha)
			break;   /* cannot get below alpha any more */
	}
	p = (double)(count + 1) / (double)(o->permutations + 1);
	if (done < o->permutations && p < o->alpha)
		p = o->alpha;
out_free:
	free(perm);
	free(rank2);
	free(r);
	return p;
}

static int cmp_size(const void *a, const void *b)
{
	size_t x = *(const size_t *)a, y = *(const size_t *)b;

	return (x > y) - (x < y);
}

int sl_cp_detect(const double *x, size_t n, const struct sl_cp_options *o, size_t *cp, size_t max)
{
	struct seg { size_t a, b; } *stack;
	size_t top = 0, found = 0, ms = o->min_segment > 0 ? (size_t)o->min_segment : 1;
	int err = 0;

	for (size_t i = 0; i < n; i++)
		if (!isfinite(x[i]))
			return -EINVAL;
	if (n < 2 * ms)
		return 0;
	stack = malloc((n / ms + 2) * sizeof(*stack));
	if (!stack)
		return -ENOMEM;
	stack[top++] = (struct seg){ 0, n };
	while (top) {
		struct seg s = stack[--top];
		size_t at;
		double p = sl_cp_pettitt(x + s.a, s.b - s.a, o, o->seed ^ (s.a * 0x9e3779b97f4a7c15ULL) ^ s.b, &at);

		if (isnan(p)) {
			err = -ENOMEM;
			goto out_free;
		}
		if (!(p < o->alpha) || at == 0)
			continue;
		if (found < max)
			cp[found++] = s.a + at;
		/* each side holds >= ms points: at most n / ms segments are ever on the stack */
		stack[top++] = (struct seg){ s.a, s.a + at };
		stack[top++] = (struct seg){ s.a + at, s.b };
	}
	qsort(cp, found, sizeof(*cp), cmp_size);
	err = (int)found;
out_free:
	free(stack);
	return err;
}
