/* gpu_gemm.c: cuBLAS GEMM (float, double, bf16) on the GPU, timed with CUDA events, checked exactly. */
#include <errno.h>
#include <stdio.h>
#include <string.h>

#include "sys/gpu.h"
#include "core/workload.h"

/* The same table with or without CUDA, so experiments parse identically in both builds. */
static const struct sl_param_def gpu_gemm_params[] = {
	{ .name = "n", .type = SL_PARAM_INT, .def = "4096", .help = "matrix order: C = A*B, all n x n",
	  .min = 16, .max = 65536 },
	SL_GPU_GEMM_PARAM_DTYPE,
	{ .name = "tasks", .type = SL_PARAM_INT, .def = "16", .help = "GEMMs per run, spread over the workers",
	  .min = 1, .max = 1e6 },
	SL_GPU_GEMM_PARAM_TRANSFER,
	{ .name = "check_n", .type = SL_PARAM_INT, .def = "512",
	  .help = "up to this n the warm-up C is compared element by element with a CPU reference",
	  .min = 0, .max = 4096 },
	{ .name = NULL },
};

double sl_gpu_gemm_flops_per_task(const struct sl_setting *s)
{
	double n = sl_setting_num(s, "n", 4096);

	return 2.0 * n * n * n;
}

/* its own plot kind (plot/'s registry), with or without CUDA: results are plotted anywhere */
static const char *const gpu_gemm_plots[] = { "gpu_throughput", NULL };

#ifdef SL_HAVE_CUDA
int sl_gpu_gemm_setup(struct sl_wctx *w, char *msg, size_t msglen)
{
	const struct sl_setting *s = w->setting;
	enum sl_gpu_dtype dtype;
	const char *dt = sl_setting_text(s, "dtype", "float");
	const char *transfer = sl_setting_text(s, "transfer", "none");

	if (!sl_gpu_dtype_parse(dt, &dtype)) {
		snprintf(msg, msglen, "dtype '%s' is not float, double or bf16", dt);
		return -EINVAL;
	}
	return sl_gpu_gemm_open((struct sl_gpu_gemm **)&w->state, (int)sl_setting_num(s, "n", 4096), dtype,
				strcmp(transfer, "both") == 0, (int)sl_setting_num(s, "check_n", 512), msg, msglen);
}

int sl_gpu_gemm_run_task(struct sl_wctx *w, long task, const void *in, void *out, double *result,
			 char *msg, size_t msglen)
{
	struct sl_gpu_task_out *o = out;
	int err;

	(void)in;
	err = sl_gpu_gemm_task(w->state, task, o, result, msg, msglen);
	o->worker = w->worker;
	return err;
}

void sl_gpu_gemm_teardown(struct sl_wctx *w)
{
	sl_gpu_gemm_close(w->state);
	w->state = NULL;
}

const struct sl_workload_ops sl_workload_gpu_gemm = {
	.devices = SL_DEVICE_GPU | SL_DEVICE_GPU_ONLY,
	.name = "gpu_gemm",
	.help = "cuBLAS GEMM on the GPU (float, double, bf16); timed: the GEMM between CUDA events (gflops from "
		"device time), Freivalds-checked after it, the warm-up exactly against the CPU",
	.params = gpu_gemm_params,
	SL_GPU_GEMM_CALLBACKS,
	.plots = gpu_gemm_plots,
};
#else
/* Without CUDA the callbacks exist (gemm's device=gpu path may name them) but refuse. */
int sl_gpu_gemm_setup(struct sl_wctx *w, char *msg, size_t msglen)
{
	(void)w;
	snprintf(msg, msglen, "built without CUDA");
	return -ENOSYS;
}

int sl_gpu_gemm_run_task(struct sl_wctx *w, long task, const void *in, void *out, double *result,
			 char *msg, size_t msglen)
{
	(void)w, (void)task, (void)in, (void)out, (void)result;
	snprintf(msg, msglen, "built without CUDA");
	return -ENOSYS;
}

void sl_gpu_gemm_teardown(struct sl_wctx *w)
{
	(void)w;
}

const struct sl_workload_ops sl_workload_gpu_gemm = {
	.devices = SL_DEVICE_GPU | SL_DEVICE_GPU_ONLY,
	.name = "gpu_gemm",
	.help = "cuBLAS GEMM on the GPU (float, double, bf16); timed: the GEMM between CUDA events (gflops from "
		"device time), Freivalds-checked after it, the warm-up exactly against the CPU",
	.params = gpu_gemm_params,
	.unimplemented_reason = "built without CUDA",
	.supported = sl_gpu_supported,
	.plots = gpu_gemm_plots,
};
#endif
