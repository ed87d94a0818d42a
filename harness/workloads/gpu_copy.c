/* gpu_copy.c: host<->device copy bandwidth, pinned vs pageable host memory, by size. */
#include <errno.h>
#include <math.h>
#include <stdio.h>
#include <string.h>

#include "sys/gpu.h"
#include "core/workload.h"

/* The same table with or without CUDA, so experiments parse identically in both builds. */
static const struct sl_param_def gpu_copy_params[] = {
	{ .name = "memory", .type = SL_PARAM_STRING, .def = "pinned",
	  .help = "host buffer: pinned (cudaMallocHost, DMA straight from it) or pageable (malloc, staged by the driver)",
	  .choices = "pinned|pageable" },
	{ .name = "direction", .type = SL_PARAM_STRING, .def = "h2d", .help = "h2d: host to device; d2h: device to host",
	  .choices = "h2d|d2h" },
	{ .name = "mb", .type = SL_PARAM_DOUBLE, .def = "64", .help = "size of each copy, MiB",
	  .min = 0.001, .max = 65536 },
	{ .name = "tasks", .type = SL_PARAM_INT, .def = "20", .help = "copies per run", .min = 1, .max = 1e6 },
	{ .name = NULL },
};

#define GPU_COPY_HELP "host<->device copy bandwidth, pinned vs pageable, by size; timed: the copy between CUDA events "\
	"(gbps from device time), its sampled words checked after it"

/* its own plot kind (plot/'s registry), with or without CUDA: results are plotted anywhere */
static const char *const gpu_copy_plots[] = { "gpu_copy", NULL };

#ifdef SL_HAVE_CUDA
/* Bytes of one copy: mb MiB rounded up to whole 8-byte words. */
static size_t gpu_copy_bytes(const struct sl_setting *s)
{
	double b = ceil(sl_setting_num(s, "mb", 64) * 1048576.0 / 8.0) * 8.0;

	return b < 8 ? 8 : (size_t)b;
}

static int gpu_copy_setup(struct sl_wctx *w, char *msg, size_t msglen)
{
	const char *memory = sl_setting_text(w->setting, "memory", "pinned");
	const char *direction = sl_setting_text(w->setting, "direction", "h2d");

	return sl_gpu_copy_open((struct sl_gpu_copy **)&w->state, gpu_copy_bytes(w->setting),
				strcmp(memory, "pinned") == 0, strcmp(direction, "h2d") == 0, msg, msglen);
}

static int gpu_copy_run_task(struct sl_wctx *w, long task, const void *in, void *out, double *result,
			     char *msg, size_t msglen)
{
	struct sl_gpu_task_out *o = out;
	int err;

	(void)in;
	err = sl_gpu_copy_task(w->state, task, o, result, msg, msglen);
	o->worker = w->worker;
	return err;
}

static void gpu_copy_teardown(struct sl_wctx *w)
{
	sl_gpu_copy_close(w->state);
	w->state = NULL;
}

const struct sl_workload_ops sl_workload_gpu_copy = {
	.devices = SL_DEVICE_GPU | SL_DEVICE_GPU_ONLY,
	.name = "gpu_copy",
	.help = GPU_COPY_HELP,
	.params = gpu_copy_params,
	.supported = sl_gpu_supported,
	.task_out_bytes = sl_gpu_task_out_bytes,
	.setup = gpu_copy_setup,
	.run_task = gpu_copy_run_task,
	.teardown = gpu_copy_teardown,
	.verify = sl_gpu_verify,
	.metrics = sl_gpu_metrics,
	.plots = gpu_copy_plots,
};
#else
const struct sl_workload_ops sl_workload_gpu_copy = {
	.devices = SL_DEVICE_GPU | SL_DEVICE_GPU_ONLY,
	.name = "gpu_copy",
	.help = GPU_COPY_HELP,
	.params = gpu_copy_params,
	.unimplemented_reason = "built without CUDA",
	.supported = sl_gpu_supported,
	.plots = gpu_copy_plots,
};
#endif
