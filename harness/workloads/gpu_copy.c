/* gpu_copy.c: placeholder until the workload is built. */
#include "workload.h"

static const struct sl_param_def gpu_copy_params[] = {
	{ .name = "tasks", .type = SL_PARAM_INT, .def = "4", .help = "tasks per run", .min = 1, .max = 1e9 },
	{ .name = NULL },
};

const struct sl_workload_ops sl_workload_gpu_copy = {
	.name = "gpu_copy",
	.help = "not yet built",
	.params = gpu_copy_params,
	.unimplemented_reason = "not yet built",
};
