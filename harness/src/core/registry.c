/* registry.c: every workload and every start method, listed once (the whole set is one grep). */
#include <string.h>

#include "core/launcher.h"
#include "core/workload.h"

extern const struct sl_workload_ops sl_workload_gemm, sl_workload_omp_gemm, sl_workload_scalar,
	sl_workload_sleep, sl_workload_transfer, sl_workload_skewed, sl_workload_command,
	sl_workload_empty, sl_workload_gpu_gemm, sl_workload_gpu_sync, sl_workload_gpu_copy,
	sl_workload_gpu_share;

static const struct sl_workload_ops *const builtin_workloads[] = {
	&sl_workload_gemm,
	&sl_workload_omp_gemm,
	&sl_workload_scalar,
	&sl_workload_sleep,
	&sl_workload_transfer,
	&sl_workload_skewed,
	&sl_workload_command,
	&sl_workload_empty,
	&sl_workload_gpu_gemm,
	&sl_workload_gpu_sync,
	&sl_workload_gpu_copy,
	&sl_workload_gpu_share,
	NULL,
};

const struct sl_workload_ops *const *sl_workloads = builtin_workloads;

extern const struct sl_launcher_ops sl_launcher_fork, sl_launcher_spawn, sl_launcher_forkserver,
	sl_launcher_mpi;

const struct sl_launcher_ops *const sl_launchers[] = {
	&sl_launcher_fork,
	&sl_launcher_spawn,
	&sl_launcher_forkserver,
	&sl_launcher_mpi,
	NULL,
};

const struct sl_workload_ops *sl_workload_find(const char *name)
{
	for (const struct sl_workload_ops *const *w = sl_workloads; *w; w++)
		if (strcmp((*w)->name, name) == 0)
			return *w;
	return NULL;
}

long sl_workload_ntasks(const struct sl_workload_ops *w, const struct sl_setting *s)
{
	if (w->ntasks)
		return w->ntasks(s);
	return (long)sl_setting_num(s, "tasks", 1);
}

const struct sl_launcher_ops *sl_launcher_find(const char *name)
{
	for (const struct sl_launcher_ops *const *l = sl_launchers; *l; l++)
		if (strcmp((*l)->name, name) == 0)
			return *l;
	return NULL;
}
