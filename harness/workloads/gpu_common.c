/* gpu_common.c: what the GPU workloads share on the host: parsing, the CPU reference, verify, metrics. */
#include <errno.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "sys/cuda.h"
#include "sys/gpu.h"
#include "core/stats.h"
#include "core/workload.h"

bool sl_gpu_dtype_parse(const char *text, enum sl_gpu_dtype *out)
{
	if (strcmp(text, "float") == 0)
		*out = SL_GPU_FLOAT;
	else if (strcmp(text, "double") == 0)
		*out = SL_GPU_DOUBLE;
	else if (strcmp(text, "bf16") == 0)
		*out = SL_GPU_BF16;
	else
		return false;
	return true;
}

bool sl_gpu_sync_mode_parse(const char *text, enum sl_gpu_sync_mode *out)
{
	if (strcmp(text, "spin") == 0)
		*out = SL_GPU_SYNC_SPIN;
	else if (strcmp(text, "yield") == 0)
		*out = SL_GPU_SYNC_YIELD;
	else if (strcmp(text, "blocking") == 0)
		*out = SL_GPU_SYNC_BLOCKING;
	else if (strcmp(text, "auto") == 0)
		*out = SL_GPU_SYNC_AUTO;
	else
		return false;
	return true;
}

double sl_gpu_gemm_tolerance(enum sl_gpu_dtype dtype, int n)
{
	return dtype == SL_GPU_DOUBLE ? 0.0 : (double)n * 0x1p-24;
}

int sl_gpu_gemm_reference_check(int n, uint64_t seed, const double *c, double rel_tol, char *msg, size_t msglen)
{
	size_t nn = (size_t)n * (size_t)n;
	int *a = malloc(nn * sizeof(*a));
	int *b = malloc(nn * sizeof(*b));
	int err = 0;

	if (!a || !b) {
		snprintf(msg, msglen, "cpu reference: out of memory for n=%d", n);
		err = -ENOMEM;
		goto out_free;
	}
	for (size_t i = 0; i < nn; i++) {
		a[i] = sl_gpu_value(seed, SL_GPU_STREAM_A, i);
		b[i] = sl_gpu_value(seed, SL_GPU_STREAM_B, i);
	}
	/* column-major, as cuBLAS: element (i, j) at i + j*n; integer sums are exact */
	for (int j = 0; j < n; j++) {
		for (int i = 0; i < n; i++) {
			long long want = 0, mag = 0;
			double got = c[i + (size_t)j * n];

			for (int k = 0; k < n; k++) {
				long long p = (long long)a[i + (size_t)k * n] * b[k + (size_t)j * n];

				want += p;
				mag += p < 0 ? -p : p;
			}
			if (!(fabs(got - (double)want) <= rel_tol * (double)mag)) {
				snprintf(msg, msglen, "gpu gemm differs from the cpu reference at C(%d,%d): %.17g, want %lld",
					 i, j, got, want);
				err = -EINVAL;
				goto out_free;
			}
		}
	}
out_free:
	free(a);
	free(b);
	return err;
}

static double median_sorted(const double *v, long n)
{
	if (n <= 0)
		return NAN;
	return n % 2 ? v[n / 2] : 0.5 * (v[n / 2 - 1] + v[n / 2]);
}

struct interval {
	double a, b;
};

static int cmp_interval(const void *x, const void *y)
{
	return sl_stats_cmp_double(&((const struct interval *)x)->a, &((const struct interval *)y)->a);
}

int sl_gpu_summarise(long ntasks, const struct sl_gpu_task_out *o, struct sl_gpu_summary *sum)
{
	struct sl_gpu_summary s = { .ntasks = ntasks, .gflops_per_proc = NAN, .wait_us_median = NAN };
	struct interval *iv = NULL;
	double *wait = NULL, *rate = NULL;
	int maxw = -1, nrate = 0;

	if (ntasks <= 0) {
		*sum = s;
		return 0;
	}
	iv = malloc((size_t)ntasks * sizeof(*iv));
	wait = malloc((size_t)ntasks * sizeof(*wait));
	if (!iv || !wait)
		goto out_nomem;
	for (long t = 0; t < ntasks; t++) {
		if (o[t].checked != 1.0)
			s.unchecked++;
		s.flops += o[t].flops;
		s.bytes += o[t].bytes;
		s.device_s += o[t].device_s;
		s.busy_s += o[t].t_end - o[t].t_start;
		s.cpu_s += o[t].cpu_s;
		iv[t] = (struct interval){ o[t].t_start, o[t].t_end };
		wait[t] = (o[t].t_end - o[t].t_start - o[t].device_s) * 1e6;
		if (o[t].worker > maxw && o[t].worker < 1e6) /* a worker id, not garbage */
			maxw = (int)o[t].worker;
	}
	qsort(iv, (size_t)ntasks, sizeof(*iv), cmp_interval);
	for (long t = 0; t < ntasks;) {
		double a = iv[t].a, b = iv[t].b;

		for (t++; t < ntasks && iv[t].a <= b; t++)
			if (iv[t].b > b)
				b = iv[t].b;
		s.span_s += b - a;
	}
	qsort(wait, (size_t)ntasks, sizeof(*wait), sl_stats_cmp_double);
	s.wait_us_median = median_sorted(wait, ntasks);

	if (s.flops > 0 && maxw >= 0) {
		rate = calloc((size_t)maxw + 1, 2 * sizeof(*rate));
		if (!rate)
			goto out_nomem;
		/* rate[2w]: worker w's flops, rate[2w+1]: its device time */
		for (long t = 0; t < ntasks; t++) {
			int w = o[t].worker >= 0 && o[t].worker <= maxw ? (int)o[t].worker : -1;

			if (w < 0)
				continue;
			rate[2 * w] += o[t].flops;
			rate[2 * w + 1] += o[t].device_s;
		}
		/* compacted in place: rate[nrate] with nrate <= w is never a pair still to be read */
		for (int w = 0; w <= maxw; w++)
			if (rate[2 * w + 1] > 0)
				rate[nrate++] = rate[2 * w] / rate[2 * w + 1] / 1e9;
		qsort(rate, (size_t)nrate, sizeof(*rate), sl_stats_cmp_double);
		s.gflops_per_proc = median_sorted(rate, nrate);
		s.workers = nrate;
	}
	free(rate);
	free(wait);
	free(iv);
	*sum = s;
	return 0;

out_nomem:
	free(wait);
	free(iv);
	return -ENOMEM;
}

bool sl_gpu_supported(const struct sl_setting *s, char *why, size_t whylen)
{
	(void)s;
	if (!sl_cuda_built()) {
		snprintf(why, whylen, "built without CUDA");
		return false;
	}
	if (sl_cuda_device_count() <= 0) {
		snprintf(why, whylen, "no CUDA device");
		return false;
	}
	return true;
}

size_t sl_gpu_task_out_bytes(const struct sl_setting *s)
{
	(void)s;
	return sizeof(struct sl_gpu_task_out);
}

int sl_gpu_verify(const struct sl_setting *s, long ntasks, const double *results, const void *outputs,
		  char *msg, size_t msglen)
{
	const struct sl_gpu_task_out *o = outputs;

	(void)s;
	if (!o && ntasks > 0) {
		snprintf(msg, msglen, "no task outputs came back");
		return -EINVAL;
	}
	for (long t = 0; t < ntasks; t++) {
		if (o[t].checked != 1.0) {
			snprintf(msg, msglen, "task %ld: its result was not checked on the worker", t);
			return -EINVAL;
		}
		if (!(o[t].device_s >= 0) || !(o[t].t_end >= o[t].t_start) || isnan(results[t])) {
			snprintf(msg, msglen, "task %ld: its timings are not valid", t);
			return -EINVAL;
		}
	}
	return 0;
}

void sl_gpu_metrics(const struct sl_setting *s, long ntasks, const double *results, const void *outputs,
		    struct sl_metrics *m)
{
	struct sl_gpu_summary sum;

	(void)s;
	(void)results;
	if (!outputs || ntasks <= 0 || sl_gpu_summarise(ntasks, outputs, &sum) < 0)
		return;
	/* one process: the rate of its CUDA-event-timed GEMMs; several sharing the GPU: the aggregate,
	 * all their flops over the time some of them were busy (their event times overlap) */
	if (sum.flops > 0 && sum.workers == 1 && sum.device_s > 0)
		m->gflops = sum.flops / sum.device_s / 1e9;
	else if (sum.flops > 0 && sum.span_s > 0)
		m->gflops = sum.flops / sum.span_s / 1e9;
	if (sum.flops > 0)
		m->gflops_per_proc = sum.gflops_per_proc;
	if (sum.flops == 0 && sum.bytes > 0 && sum.device_s > 0)
		m->gbps = sum.bytes / sum.device_s / 1e9;
	if (sum.busy_s > 0)
		m->host_cpu_pct = 100.0 * sum.cpu_s / sum.busy_s;
}
