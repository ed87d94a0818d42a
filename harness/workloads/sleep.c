/* sleep.c: a fixed wait per task and no computation at all (the seeds' time.sleep(1) example), to
 * separate waiting from computing: its speedup is bounded by the tasks, not by the cores. */
#include <errno.h>
#include <time.h>

#include "core/workload.h"
#include "workloads/wl_common.h"

/* The result of a task: a tag derived from its number, so a lost, repeated or misplaced task shows. */
static double task_tag(long task)
{
	return (double)(sl_mix64((uint64_t)task) >> 11);
}

static int sleep_run_task(struct sl_wctx *w, long task, const void *in, void *out, double *result,
			  char *msg, size_t msglen)
{
	double ms = sl_setting_num(w->setting, "ms", 100);
	struct timespec until;
	int rc;

	(void)in;
	(void)out;
	/* An absolute deadline, so a signal that interrupts the wait does not shorten it. */
	clock_gettime(CLOCK_MONOTONIC, &until);
	until.tv_sec += (time_t)(ms / 1000.0);
	until.tv_nsec += (long)((ms - 1000.0 * (double)(time_t)(ms / 1000.0)) * 1e6);
	if (until.tv_nsec >= 1000000000L) {
		until.tv_sec++;
		until.tv_nsec -= 1000000000L;
	}
	while ((rc = clock_nanosleep(CLOCK_MONOTONIC, TIMER_ABSTIME, &until, NULL)) == EINTR)
		;
	if (rc) {
		snprintf(msg, msglen, "clock_nanosleep: error %d", rc);
		return -rc;
	}
	*result = task_tag(task);
	return 0;
}

static int sleep_verify(const struct sl_setting *s, long ntasks, const double *results,
			const void *outputs, char *msg, size_t msglen)
{
	(void)s;
	(void)outputs;
	for (long t = 0; t < ntasks; t++)
		if (results[t] != task_tag(t)) {
			snprintf(msg, msglen, "task %ld: result %.17g is not its tag %.17g", t, results[t],
				 task_tag(t));
			return -EINVAL;
		}
	return 0;
}

static const struct sl_param_def sleep_params[] = {
	{ .name = "ms", .type = SL_PARAM_DOUBLE, .def = "100",
	  .help = "wait per task in milliseconds (the seeds' time.sleep(1) is ms = 1000); no CPU work",
	  .min = 0, .max = 3600e3 },
	{ .name = "tasks", .type = SL_PARAM_INT, .def = "8",
	  .help = "waits per run", .min = 1, .max = 1e7 },
	{ .name = NULL },
};

const struct sl_workload_ops sl_workload_sleep = {
	.name = "sleep",
	.help = "a fixed wait per task (clock_nanosleep), no computation: waiting, not computing, "
		"like the seeds' time.sleep(1) (timed: the waits)",
	.params = sleep_params,
	.run_task = sleep_run_task,
	.verify = sleep_verify,
};
