/* skewed.c: tasks whose CPU costs follow a chosen distribution (uniform, lognormal, one-heavy), for
 * chunk-size and load-balance experiments. Each task does an exact amount of integer work. */
#include <errno.h>
#include <math.h>
#include <string.h>

#include "core/workload.h"
#include "workloads/wl_common.h"

/* The work: STREAMS independent 64-bit linear congruential generators, each advanced once per
 * step. Independent streams keep the multiplier busy (throughput-bound, like real arithmetic,
 * so two hyperthreads of one core compete) and the cost of a task is exactly its step count.
 * The coordinator checks a task by jumping each stream ahead in O(log steps). */
#define STREAMS 4
#define LCG_A 6364136223846793005ULL
static const uint64_t lcg_c[STREAMS] = {
	1442695040888963407ULL, 1013904223ULL, 0x9e3779b97f4a7c15ULL, 12345ULL,
};

static long setting_tasks(const struct sl_setting *s)
{
	return (long)sl_setting_num(s, "tasks", 64);
}

/* The cost of task t in steps, from the distribution (deterministic in seed and t). Not static:
 * the unit test checks the distributions. */
uint64_t sl_skewed_task_steps(const struct sl_setting *s, long task)
{
	const char *dist = sl_setting_text(s, "dist", "uniform");
	double mean = sl_setting_num(s, "mean_cost", 2) * 1e6;
	uint64_t seed = (uint64_t)sl_setting_num(s, "seed", 1) << 32;
	double u1 = sl_unit53(sl_mix64(seed + 2 * (uint64_t)task));
	double u2 = sl_unit53(sl_mix64(seed + 2 * (uint64_t)task + 1));
	double cost;

	if (strcmp(dist, "lognormal") == 0) {
		double sigma = sl_setting_num(s, "sigma", 1);
		/* Box-Muller; 1 - u1 is in (0, 1], so the log is finite. */
		double z = sqrt(-2.0 * log(1.0 - u1)) * cos(2.0 * M_PI * u2);

		cost = mean * exp(sigma * z - sigma * sigma / 2.0);   /* mean-preserving */
	} else if (strcmp(dist, "one-heavy") == 0) {
		long n = setting_tasks(s);
		double heavy = sl_setting_num(s, "heavy", 10);
		long which = (long)(sl_mix64(seed - 1) % (uint64_t)n);
		double light = mean * (double)n / ((double)(n - 1) + heavy);

		cost = task == which ? heavy * light : light;
	} else {
		cost = mean * (0.5 + u1);                          /* uniform on [mean/2, 3·mean/2) */
	}
	return cost < 1.0 ? 1 : (uint64_t)llround(cost);
}

static uint64_t stream_start(const struct sl_setting *s, long task, int i)
{
	uint64_t seed = (uint64_t)sl_setting_num(s, "seed", 1);

	return sl_mix64((seed << 40) ^ ((uint64_t)task << 3) ^ (uint64_t)i);
}

static double fold(const uint64_t x[STREAMS])
{
	uint64_t h = 0;

	for (int i = 0; i < STREAMS; i++)
		h ^= x[i];
	return (double)(h >> 11);
}

static int skewed_run_task(struct sl_wctx *w, long task, const void *in, void *out, double *result,
			   char *msg, size_t msglen)
{
	uint64_t steps = sl_skewed_task_steps(w->setting, task);
	uint64_t x0 = stream_start(w->setting, task, 0), x1 = stream_start(w->setting, task, 1);
	uint64_t x2 = stream_start(w->setting, task, 2), x3 = stream_start(w->setting, task, 3);

	(void)in;
	(void)out;
	(void)msg;
	(void)msglen;
	for (uint64_t k = 0; k < steps; k++) {
		x0 = x0 * LCG_A + lcg_c[0];
		x1 = x1 * LCG_A + lcg_c[1];
		x2 = x2 * LCG_A + lcg_c[2];
		x3 = x3 * LCG_A + lcg_c[3];
		/* Keep every step: no closed form, no vectorised shortcut. */
		__asm__ volatile("" : "+r"(x0), "+r"(x1), "+r"(x2), "+r"(x3));
	}
	*result = fold((uint64_t[STREAMS]){ x0, x1, x2, x3 });
	return 0;
}

/* x after k steps of x = a·x + c (mod 2^64), by squaring the affine map. */
static uint64_t lcg_jump(uint64_t x, uint64_t c, uint64_t k)
{
	uint64_t mul = 1, add = 0, a = LCG_A;

	for (; k; k >>= 1) {
		if (k & 1) {
			mul *= a;
			add = add * a + c;
		}
		c = c * a + c;
		a *= a;
	}
	return mul * x + add;
}

static int skewed_verify(const struct sl_setting *s, long ntasks, const double *results,
			 const void *outputs, char *msg, size_t msglen)
{
	(void)outputs;
	for (long t = 0; t < ntasks; t++) {
		uint64_t steps = sl_skewed_task_steps(s, t), x[STREAMS];

		for (int i = 0; i < STREAMS; i++)
			x[i] = lcg_jump(stream_start(s, t, i), lcg_c[i], steps);
		if (results[t] != fold(x)) {
			snprintf(msg, msglen, "task %ld: result %.17g, expected %.17g after %llu steps", t,
				 results[t], fold(x), (unsigned long long)steps);
			return -EINVAL;
		}
	}
	return 0;
}

static const struct sl_param_def skewed_params[] = {
	{ .name = "dist", .type = SL_PARAM_STRING, .def = "uniform",
	  .help = "distribution of task costs: uniform (on [mean/2, 3*mean/2)), lognormal (sigma, same "
		  "mean), one-heavy (one task costs `heavy` times each of the others, same mean)",
	  .choices = "uniform|lognormal|one-heavy" },
	{ .name = "mean_cost", .type = SL_PARAM_DOUBLE, .def = "2",
	  .help = "mean cost of a task in millions of steps (one step: 4 independent 64-bit "
		  "multiply-adds); a fixed amount of CPU work, so time a run with tasks=1 to convert "
		  "to milliseconds on this machine",
	  .min = 1e-6, .max = 1e6 },
	{ .name = "sigma", .type = SL_PARAM_DOUBLE, .def = "1",
	  .help = "lognormal only: standard deviation of log(cost); with 1, the costliest of 64 "
		  "tasks is typically about 7 times the mean",
	  .min = 0, .max = 4 },
	{ .name = "heavy", .type = SL_PARAM_DOUBLE, .def = "10",
	  .help = "one-heavy only: cost of the heavy task over a light one", .min = 1, .max = 1e6 },
	{ .name = "seed", .type = SL_PARAM_INT, .def = "1",
	  .help = "seed of the costs (and of which task is heavy): same seed, same tasks", .min = 0,
	  .max = 4294967295.0 },
	{ .name = "tasks", .type = SL_PARAM_INT, .def = "64",
	  .help = "tasks per run", .min = 1, .max = 1e7 },
	{ .name = NULL },
};

const struct sl_workload_ops sl_workload_skewed = {
	.name = "skewed",
	.help = "CPU tasks of unequal cost (uniform, lognormal or one-heavy), exact integer work "
		"checked by jump-ahead after the run, for chunk-size and load-balance experiments (timed: the work)",
	.params = skewed_params,
	.run_task = skewed_run_task,
	.verify = skewed_verify,
};
