/* gpu_sync.c: placeholder until the workload is built. */
#include "workload.h"

static const struct sl_param_def gpu_sync_params[] = {
	{ .name = "tasks", .type = SL_PARAM_INT, .def = "4", .help = "tasks per run", .min = 1, .max = 1e9 },
	{ .name = NULL },
};

const struct sl_workload_ops sl_workload_gpu_sync = {
	.name = "gpu_sync",
	.help = "not yet built",
	.params = gpu_sync_params,
	.unimplemented_reason = "not yet built",
};
