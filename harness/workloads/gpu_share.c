/* gpu_share.c: P processes each running cuBLAS GEMMs on the same GPU: aggregate and per-process rate. */
#include "sys/gpu.h"
#include "core/workload.h"

/* The same table with or without CUDA, so experiments parse identically in both builds. */
static const struct sl_param_def gpu_share_params[] = {
	{ .name = "n", .type = SL_PARAM_INT, .def = "4096", .help = "matrix order of each GEMM (n x n)",
	  .min = 16, .max = 65536 },
	SL_GPU_GEMM_PARAM_DTYPE,
	{ .name = "tasks", .type = SL_PARAM_INT, .def = "64",
	  .help = "GEMMs per run, shared by the processes (the same total work at every process count)",
	  .min = 1, .max = 1e6 },
	SL_GPU_GEMM_PARAM_TRANSFER,
	{ .name = "check_n", .type = SL_PARAM_INT, .def = "512",
	  .help = "up to this n each worker's warm-up C is compared element by element with a CPU reference",
	  .min = 0, .max = 4096 },
	{ .name = NULL },
};

#define GPU_SHARE_HELP "P processes share one GPU, each with its own context and cuBLAS GEMMs: " \
	"gflops is the aggregate, gflops_per_proc each process's own rate; timed like gpu_gemm"

/* its own plot kind (plot/'s registry), with or without CUDA: results are plotted anywhere */
static const char *const gpu_share_plots[] = { "gpu_share", NULL };

#ifdef SL_HAVE_CUDA
const struct sl_workload_ops sl_workload_gpu_share = {
	.devices = SL_DEVICE_GPU | SL_DEVICE_GPU_ONLY,
	.name = "gpu_share",
	.help = GPU_SHARE_HELP,
	.params = gpu_share_params,
	SL_GPU_GEMM_CALLBACKS,
	.plots = gpu_share_plots,
};
#else
const struct sl_workload_ops sl_workload_gpu_share = {
	.devices = SL_DEVICE_GPU | SL_DEVICE_GPU_ONLY,
	.name = "gpu_share",
	.help = GPU_SHARE_HELP,
	.params = gpu_share_params,
	.unimplemented_reason = "built without CUDA",
	.supported = sl_gpu_supported,
	.plots = gpu_share_plots,
};
#endif
