/* gemm.c: n×n matrix product by OpenBLAS (cblas_dgemm / cblas_sgemm), the build chosen by the `blas` axis. */
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "sys/blas.h"
#include "workloads/gemm_common.h"

/* The CUDA version (gpu_gemm.c): device = gpu hands every callback to it. */
extern const struct sl_workload_ops sl_workload_gpu_gemm;

struct gemm_state {
	const struct sl_blas *blas;
	struct sl_gemm_buf buf;
};

static bool on_gpu(const struct sl_setting *s)
{
	return strcmp(s->device, "gpu") == 0;
}

static bool gemm_supported(const struct sl_setting *s, char *why, size_t whylen)
{
	const struct sl_workload_ops *gpu = &sl_workload_gpu_gemm;
	const char *path;

	if (on_gpu(s)) {
		if (gpu->unimplemented_reason) {
			snprintf(why, whylen, "%s", gpu->unimplemented_reason);
			return false;
		}
		if (!gpu->setup || !gpu->run_task) {
			snprintf(why, whylen, "gpu_gemm has no setup or run_task");
			return false;
		}
		return gpu->supported ? gpu->supported(s, why, whylen) : true;
	}
	/* Only look for the file: loading OpenBLAS here would start its threads in the coordinator. */
	path = sl_blas_path(s->blas);
	if (access(path, R_OK) != 0) {
		snprintf(why, whylen, "OpenBLAS %s build not installed (%s)", s->blas[0] ? s->blas : "pthread", path);
		return false;
	}
	return true;
}

/* The product of task: the timed work. */
static void gemm_product(struct gemm_state *st, long task)
{
	struct sl_gemm_buf *g = &st->buf;
	int n = (int)g->n;

	sl_gemm_buf_task(g, task);
	if (g->single)
		st->blas->sgemm(SL_CBLAS_ROW_MAJOR, SL_CBLAS_NO_TRANS, SL_CBLAS_NO_TRANS, n, n, n, 1.0f,
				g->a, n, g->b, n, 0.0f, g->c, n);
	else
		st->blas->dgemm(SL_CBLAS_ROW_MAJOR, SL_CBLAS_NO_TRANS, SL_CBLAS_NO_TRANS, n, n, n, 1.0,
				g->a, n, g->b, n, 0.0, g->c, n);
}

static int gemm_setup(struct sl_wctx *w, char *msg, size_t msglen)
{
	const struct sl_setting *s = w->setting;
	struct gemm_state *st;
	int rc;

	if (on_gpu(s)) {
		if (!sl_workload_gpu_gemm.setup) {
			snprintf(msg, msglen, "gpu_gemm has no setup");
			return -ENOSYS;
		}
		return sl_workload_gpu_gemm.setup(w, msg, msglen);
	}
	st = calloc(1, sizeof(*st));
	if (!st) {
		snprintf(msg, msglen, "out of memory");
		return -ENOMEM;
	}
	st->blas = sl_blas_load(s->blas, msg, msglen);
	if (!st->blas) {
		rc = -ENOENT;
		goto out_free_state;
	}
	/* After loading: the library has read the environment by now; `call` overrides it. */
	sl_threads_apply_call(s, st->blas);
	w->lib_threads = st->blas->get_num_threads();
	rc = sl_gemm_buf_init(&st->buf, s, msg, msglen);
	if (rc)
		goto out_free_state;
	w->state = st;
	/* warm-up, untimed: task 0's product, checked in full */
	{
		double sum;

		gemm_product(st, 0);
		w->lib_threads = st->blas->get_num_threads();
		rc = sl_gemm_buf_check(&st->buf, 0, &sum, msg, msglen);
		if (rc) {
			sl_gemm_buf_free(&st->buf);
			w->state = NULL;
			goto out_free_state;
		}
		st->buf.last_task = -1;
	}
	return 0;

out_free_state:
	free(st);
	return rc;
}

static int gemm_run_task(struct sl_wctx *w, long task, const void *in, void *out, double *result,
			 char *msg, size_t msglen)
{
	struct gemm_state *st = w->state;

	if (on_gpu(w->setting))
		return sl_workload_gpu_gemm.run_task(w, task, in, out, result, msg, msglen);
	(void)msg, (void)msglen;
	gemm_product(st, task);
	*result = sl_gemm_buf_checksum(&st->buf, task);
	return 0;
}

static int gemm_after_run(struct sl_wctx *w, char *msg, size_t msglen)
{
	struct gemm_state *st = w->state;

	if (on_gpu(w->setting)) {
		const struct sl_workload_ops *gpu = &sl_workload_gpu_gemm;

		return gpu->after_run ? gpu->after_run(w, msg, msglen) : 0;
	}
	/* The openmp build adopts OpenMP's count at its first call: read it once more, outside the clock. */
	w->lib_threads = st->blas->get_num_threads();
	return sl_gemm_buf_check_last(&st->buf, msg, msglen);
}

static void gemm_teardown(struct sl_wctx *w)
{
	struct gemm_state *st = w->state;

	if (on_gpu(w->setting)) {
		if (sl_workload_gpu_gemm.teardown)
			sl_workload_gpu_gemm.teardown(w);
		return;
	}
	if (!st)
		return;
	sl_gemm_buf_free(&st->buf);
	free(st);
	w->state = NULL;
}

static int gemm_verify(const struct sl_setting *s, long ntasks, const double *results,
		       const void *outputs, char *msg, size_t msglen)
{
	if (on_gpu(s))
		return sl_workload_gpu_gemm.verify ? sl_workload_gpu_gemm.verify(s, ntasks, results, outputs, msg, msglen)
						   : 0;
	return sl_gemm_verify(s, ntasks, results, msg, msglen);
}

/* The rest of gpu_gemm's contract: what each task returns beside its checksum (device time) and
 * the metrics the coordinator derives from it. On the CPU: nothing. */
static size_t gemm_task_in_bytes(const struct sl_setting *s)
{
	const struct sl_workload_ops *gpu = &sl_workload_gpu_gemm;

	return on_gpu(s) && gpu->task_in_bytes ? gpu->task_in_bytes(s) : 0;
}

/* on the CPU only: cuBLAS's matrices live on the device */
static double gemm_mem_bytes(const struct sl_setting *s)
{
	return on_gpu(s) ? 0 : sl_gemm_mem_bytes(s);
}

static size_t gemm_task_out_bytes(const struct sl_setting *s)
{
	const struct sl_workload_ops *gpu = &sl_workload_gpu_gemm;

	return on_gpu(s) && gpu->task_out_bytes ? gpu->task_out_bytes(s) : 0;
}

static void gemm_make_input(const struct sl_setting *s, long task, void *in)
{
	if (on_gpu(s) && sl_workload_gpu_gemm.make_input)
		sl_workload_gpu_gemm.make_input(s, task, in);
}

static void gemm_metrics(const struct sl_setting *s, long ntasks, const double *results, const void *outputs,
			 struct sl_metrics *m)
{
	if (on_gpu(s) && sl_workload_gpu_gemm.metrics)
		sl_workload_gpu_gemm.metrics(s, ntasks, results, outputs, m);
}

static const struct sl_param_def gemm_params[] = {
	{ .name = "n", .type = SL_PARAM_INT, .def = "512",
	  .help = "matrix order: each task multiplies two n x n matrices (2n^3 flops); OpenBLAS "
		  "runs a product on one thread up to n = 64 and splits larger ones over its threads",
	  .min = 1, .max = 16384 },
	{ .name = "dtype", .type = SL_PARAM_STRING, .def = "double",
	  .help = "element type: double (cblas_dgemm) or float (cblas_sgemm)", .choices = "double|float" },
	{ .name = "tasks", .type = SL_PARAM_INT, .def = "16",
	  .help = "matrix products per run", .min = 1, .max = 1e7 },
	{ .name = NULL },
};

const struct sl_workload_ops sl_workload_gemm = {
	.devices = SL_DEVICE_GPU,
	.name = "gemm",
	.help = "n x n matrix product by OpenBLAS (blas axis: pthread or openmp build; device=gpu: cuBLAS), "
		"timed: the product and one row's sum; checked outside the clock (warm-up and last product in "
		"full: naive reference up to n=128, Freivalds' check above; every task's row sum after the run)",
	.params = gemm_params,
	.supported = gemm_supported,
	.task_in_bytes = gemm_task_in_bytes,
	.task_out_bytes = gemm_task_out_bytes,
	.make_input = gemm_make_input,
	.setup = gemm_setup,
	.run_task = gemm_run_task,
	.after_run = gemm_after_run,
	.teardown = gemm_teardown,
	.flops_per_task = sl_gemm_flops,
	.verify = gemm_verify,
	.metrics = gemm_metrics,
	.mem_bytes_per_worker = gemm_mem_bytes,
};
