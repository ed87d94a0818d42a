/* gpu_sync.c: a kernel of known length waited on under each host sync mode: CPU burnt and wake-up latency. */
#include <errno.h>
#include <stdio.h>

#include "sys/gpu.h"
#include "core/workload.h"

/* The same table with or without CUDA, so experiments parse identically in both builds. */
static const struct sl_param_def gpu_sync_params[] = {
	{ .name = "mode", .type = SL_PARAM_STRING, .def = "auto",
	  .help = "how the host waits (cudaDeviceSchedule*): spin, yield, blocking (sleep on an interrupt) "
		  "or auto (CUDA's default: spin unless contexts outnumber CPUs)",
	  .choices = "spin|yield|blocking|auto" },
	{ .name = "kernel_ms", .type = SL_PARAM_DOUBLE, .def = "20",
	  .help = "length of each kernel: one GPU thread spinning on the GPU's nanosecond timer, ms",
	  .min = 0.01, .max = 60000 },
	{ .name = "tasks", .type = SL_PARAM_INT, .def = "20", .help = "kernels per run, each waited on in turn",
	  .min = 1, .max = 1e6 },
	{ .name = NULL },
};

#define GPU_SYNC_HELP "wait on a GPU kernel of known length under a host sync mode: host_cpu_pct is the " \
	"CPU the waiting process burns, gpu_wait_us its wake-up latency; timed: launch to wake-up"

/* its own plot kind (plot/'s registry), with or without CUDA: results are plotted anywhere */
static const char *const gpu_sync_plots[] = { "gpu_sync", NULL };

#ifdef SL_HAVE_CUDA
static int gpu_sync_setup(struct sl_wctx *w, char *msg, size_t msglen)
{
	enum sl_gpu_sync_mode mode;
	const char *text = sl_setting_text(w->setting, "mode", "auto");

	if (!sl_gpu_sync_mode_parse(text, &mode)) {
		snprintf(msg, msglen, "mode '%s' is not spin, yield, blocking or auto", text);
		return -EINVAL;
	}
	return sl_gpu_sync_open((struct sl_gpu_sync **)&w->state, mode, msg, msglen);
}

static int gpu_sync_run_task(struct sl_wctx *w, long task, const void *in, void *out, double *result,
			     char *msg, size_t msglen)
{
	struct sl_gpu_task_out *o = out;
	int err;

	(void)in;
	err = sl_gpu_sync_task(w->state, sl_setting_num(w->setting, "kernel_ms", 20), task, o, result, msg, msglen);
	o->worker = w->worker;
	return err;
}

static void gpu_sync_teardown(struct sl_wctx *w)
{
	sl_gpu_sync_close(w->state);
	w->state = NULL;
}

static int gpu_sync_verify(const struct sl_setting *s, long ntasks, const double *results, const void *outputs,
			   char *msg, size_t msglen)
{
	for (long t = 0; t < ntasks; t++)
		if (results[t] != (double)(t + 1)) {
			snprintf(msg, msglen, "task %ld: the kernel wrote %.17g, want %ld", t, results[t], t + 1);
			return -EINVAL;
		}
	return sl_gpu_verify(s, ntasks, results, outputs, msg, msglen);
}

static void gpu_sync_metrics(const struct sl_setting *s, long ntasks, const double *results,
			     const void *outputs, struct sl_metrics *m)
{
	struct sl_gpu_summary sum;

	sl_gpu_metrics(s, ntasks, results, outputs, m);
	if (outputs && ntasks > 0 && sl_gpu_summarise(ntasks, outputs, &sum) == 0)
		m->gpu_wait_us = sum.wait_us_median;
}

const struct sl_workload_ops sl_workload_gpu_sync = {
	.devices = SL_DEVICE_GPU | SL_DEVICE_GPU_ONLY,
	.name = "gpu_sync",
	.help = GPU_SYNC_HELP,
	.params = gpu_sync_params,
	.supported = sl_gpu_supported,
	.task_out_bytes = sl_gpu_task_out_bytes,
	.setup = gpu_sync_setup,
	.run_task = gpu_sync_run_task,
	.teardown = gpu_sync_teardown,
	.verify = gpu_sync_verify,
	.metrics = gpu_sync_metrics,
	.plots = gpu_sync_plots,
};
#else
const struct sl_workload_ops sl_workload_gpu_sync = {
	.devices = SL_DEVICE_GPU | SL_DEVICE_GPU_ONLY,
	.name = "gpu_sync",
	.help = GPU_SYNC_HELP,
	.params = gpu_sync_params,
	.unimplemented_reason = "built without CUDA",
	.supported = sl_gpu_supported,
	.plots = gpu_sync_plots,
};
#endif
