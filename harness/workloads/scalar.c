/* scalar.c: CPU-bound scalar work with no library threads: count the primes in a range per task by
 * trial division (the analogue of the seeds' pure-Python task); checked against a sieve. */
#include <errno.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "core/workload.h"

/* Task t tests the integers [start + t·cost, start + (t+1)·cost). Near the default start every
 * task costs about the same: the density of primes (which dominate the cost) barely changes
 * over the range. */
static uint64_t task_lo(const struct sl_setting *s, long task)
{
	uint64_t start = (uint64_t)sl_setting_num(s, "start", 1e9);
	uint64_t cost = (uint64_t)sl_setting_num(s, "cost", 20000);

	return start + (uint64_t)task * cost;
}

/* Trial division by 2, 3 and 6k±1. Only registers and the stack: workers share nothing. */
static bool is_prime32(uint32_t x)
{
	if (x < 4)
		return x >= 2;
	if (x % 2 == 0 || x % 3 == 0)
		return false;
	for (uint32_t d = 5; (uint64_t)d * d <= x; d += 6)
		if (x % d == 0 || x % (d + 2) == 0)
			return false;
	return true;
}

static bool is_prime64(uint64_t x)
{
	if (x < 4)
		return x >= 2;
	if (x % 2 == 0 || x % 3 == 0)
		return false;
	for (uint64_t d = 5; d * d <= x; d += 6)
		if (x % d == 0 || x % (d + 2) == 0)
			return false;
	return true;
}

/* Primes in [lo, hi), with 32-bit division when the range allows it (it is faster). */
static long count_primes(uint64_t lo, uint64_t hi)
{
	long count = 0;

	if (hi <= UINT32_MAX) {
		for (uint64_t x = lo; x < hi; x++)
			count += is_prime32((uint32_t)x);
	} else {
		for (uint64_t x = lo; x < hi; x++)
			count += is_prime64(x);
	}
	return count;
}

static int scalar_run_task(struct sl_wctx *w, long task, const void *in, void *out, double *result,
			   char *msg, size_t msglen)
{
	uint64_t lo = task_lo(w->setting, task);
	uint64_t hi = task_lo(w->setting, task + 1);

	(void)in;
	(void)out;
	(void)msg;
	(void)msglen;
	*result = (double)count_primes(lo, hi);
	return 0;
}

/* An independent count: a segmented sieve of Eratosthenes over the whole run's range. */
static int scalar_verify(const struct sl_setting *s, long ntasks, const double *results,
			 const void *outputs, char *msg, size_t msglen)
{
	uint64_t lo = task_lo(s, 0), hi = task_lo(s, ntasks);
	uint64_t cost = task_lo(s, 1) - lo, root = 1;
	unsigned char *small = NULL, *seg = NULL;
	int rc = 0;

	(void)outputs;
	while (root * root < hi)
		root++;
	small = calloc(root + 1, 1);          /* small[i]: i is composite */
	seg = calloc(hi - lo, 1);             /* seg[x - lo]: x is composite */
	if (!small || !seg) {
		snprintf(msg, msglen, "cannot allocate the sieve for [%llu, %llu)", (unsigned long long)lo,
			 (unsigned long long)hi);
		rc = -ENOMEM;
		goto out_free;
	}
	for (uint64_t p = 2; p <= root; p++) {
		if (small[p])
			continue;
		for (uint64_t m = p * p; m <= root; m += p)
			small[m] = 1;
		for (uint64_t m = (lo + p - 1) / p * p; m < hi; m += p)
			if (m != p)
				seg[m - lo] = 1;
	}
	for (uint64_t x = lo; x < 2 && x < hi; x++)
		seg[x - lo] = 1;
	for (long t = 0; t < ntasks; t++) {
		long want = 0;

		for (uint64_t i = (uint64_t)t * cost; i < (uint64_t)(t + 1) * cost; i++)
			want += !seg[i];
		if (results[t] != (double)want) {
			snprintf(msg, msglen, "task %ld: %.17g primes in [%llu, %llu), the sieve finds %ld", t,
				 results[t], (unsigned long long)(lo + (uint64_t)t * cost),
				 (unsigned long long)(lo + (uint64_t)(t + 1) * cost), want);
			rc = -EINVAL;
			goto out_free;
		}
	}
out_free:
	free(seg);
	free(small);
	return rc;
}

static const struct sl_param_def scalar_params[] = {
	{ .name = "cost", .type = SL_PARAM_INT, .def = "20000",
	  .help = "integers tested for primality per task: the work of one task grows linearly with it",
	  .min = 1, .max = 1e9 },
	{ .name = "start", .type = SL_PARAM_INT, .def = "1000000000",
	  .help = "first integer tested; larger numbers cost more per test (trial division up to sqrt)",
	  .min = 0, .max = 1e15 },
	{ .name = "tasks", .type = SL_PARAM_INT, .def = "16",
	  .help = "tasks per run; task t tests [start + t*cost, start + (t+1)*cost)", .min = 1, .max = 1e7 },
	{ .name = NULL },
};

const struct sl_workload_ops sl_workload_scalar = {
	.name = "scalar",
	.help = "CPU-bound scalar work, no library threads: counts primes by trial division per task, "
		"checked against a sieve after the run (timed: the counting)",
	.params = scalar_params,
	.run_task = scalar_run_task,
	.verify = scalar_verify,
};
