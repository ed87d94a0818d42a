/* transfer.c: each task moves an n×n matrix of doubles to a worker and its transpose (times 2) back,
 * through the pipe or shared memory (`dispatch`), to weigh data movement against light compute. */
#include <errno.h>
#include <stdint.h>

#include "core/workload.h"

static long setting_n(const struct sl_setting *s)
{
	return (long)sl_setting_num(s, "n", 512);
}

static size_t matrix_bytes(const struct sl_setting *s)
{
	size_t n = (size_t)setting_n(s);

	return n * n * sizeof(double);
}

/* Entry i of task t's input: an integer below 2^20, so every sum and product here is exact. */
static inline double input_entry(long task, size_t i)
{
	return (double)(((uint64_t)task * 0x9e3779b1ULL + (uint64_t)i * 7ULL) & 0xfffffULL);
}

static void transfer_make_input(const struct sl_setting *s, long task, void *in)
{
	size_t nn = (size_t)setting_n(s) * (size_t)setting_n(s);
	double *m = in;

	for (size_t i = 0; i < nn; i++)
		m[i] = input_entry(task, i);
}

/* out = 2·inᵀ, by 32×32 tiles (a naive transpose strides through memory a whole row apart). */
static int transfer_run_task(struct sl_wctx *w, long task, const void *in, void *out, double *result,
			     char *msg, size_t msglen)
{
	long n = setting_n(w->setting);
	const double *a = in;
	double *b = out;

	if (!in || !out) {
		snprintf(msg, msglen, "no input or output buffer for task %ld", task);
		return -EINVAL;
	}
	for (long i0 = 0; i0 < n; i0 += 32)
		for (long j0 = 0; j0 < n; j0 += 32)
			for (long i = i0; i < i0 + 32 && i < n; i++)
				for (long j = j0; j < j0 + 32 && j < n; j++)
					b[j * n + i] = 2.0 * a[i * n + j];
	/* no checksum in the timed task: the coordinator checks every output entry after the run */
	*result = (double)task;
	return 0;
}

static int transfer_verify(const struct sl_setting *s, long ntasks, const double *results,
			   const void *outputs, char *msg, size_t msglen)
{
	long n = setting_n(s);

	if (!outputs) {
		snprintf(msg, msglen, "no outputs to check");
		return -EINVAL;
	}
	for (long t = 0; t < ntasks; t++) {
		const double *b = (const double *)outputs + (size_t)t * (size_t)n * (size_t)n;

		if (results[t] != (double)t) {
			snprintf(msg, msglen, "task %ld: result %.17g, expected its number", t, results[t]);
			return -EINVAL;
		}
		for (long i = 0; i < n; i++)
			for (long j = 0; j < n; j++) {
				double v = 2.0 * input_entry(t, (size_t)(i * n + j));

				if (b[j * n + i] != v) {
					snprintf(msg, msglen, "task %ld: output[%ld][%ld] = %.17g, expected %.17g",
						 t, j, i, b[j * n + i], v);
					return -EINVAL;
				}
			}
	}
	return 0;
}

static const struct sl_param_def transfer_params[] = {
	{ .name = "n", .type = SL_PARAM_INT, .def = "512",
	  .help = "matrix order: each task sends n*n*8 bytes to its worker and receives as many back "
		  "(n = 512: 2 MiB each way)",
	  .min = 1, .max = 8192 },
	{ .name = "tasks", .type = SL_PARAM_INT, .def = "32",
	  .help = "matrices moved per run", .min = 1, .max = 1e7 },
	{ .name = NULL },
};

const struct sl_workload_ops sl_workload_transfer = {
	.name = "transfer",
	.help = "moves an n x n matrix to a worker and its transpose back per task (pipe or shm "
		"dispatch): data movement against light compute; timed: the move and the transpose (inputs are "
		"made before the clock starts), every output entry checked after the run",
	.params = transfer_params,
	.task_in_bytes = matrix_bytes,
	.task_out_bytes = matrix_bytes,
	.make_input = transfer_make_input,
	.run_task = transfer_run_task,
	.verify = transfer_verify,
};
