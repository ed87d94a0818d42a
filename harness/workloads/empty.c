/* empty.c: a task that does nothing but report its own number: what is left is the pool's dispatch cost. */
#include <errno.h>
#include <stdio.h>

#include "core/workload.h"

static const struct sl_param_def empty_params[] = {
	{ .name = "tasks", .type = SL_PARAM_INT, .def = "10000", .help = "tasks per run", .min = 1, .max = 1e9 },
	{ .name = NULL },
};

static int empty_run_task(struct sl_wctx *w, long task, const void *in, void *out, double *result, char *msg,
			  size_t msglen)
{
	(void)w; (void)in; (void)out; (void)msg; (void)msglen;
	*result = (double)task;
	return 0;
}

/* Every task ran exactly once and its result came back to the right place. */
static int empty_verify(const struct sl_setting *s, long ntasks, const double *results, const void *outputs,
			char *msg, size_t msglen)
{
	(void)s; (void)outputs;
	for (long i = 0; i < ntasks; i++)
		if (results[i] != (double)i) {
			snprintf(msg, msglen, "task %ld returned %g", i, results[i]);
			return -EINVAL;
		}
	return 0;
}

const struct sl_workload_ops sl_workload_empty = {
	.name = "empty",
	.help = "a task that does nothing (returns its number): measures the pool's dispatch overhead (timed: "
		"dispatch alone)",
	.params = empty_params,
	.unimplemented_reason = NULL,
	.run_task = empty_run_task,
	.verify = empty_verify,
	.engine_flags = SL_WL_DISPATCH_ONLY,
};
