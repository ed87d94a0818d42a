/* mpi.c: placeholder until the mpi start method is built. */
#include <string.h>

#include "launcher.h"
#include "mpi.h"

const struct sl_launcher_ops sl_launcher_mpi = {
	.name = "mpi",
	.help = "not yet built",
	.unimplemented_reason = "not yet built",
};

int sl_mpi_run(const struct sl_setting *s, const struct sl_workload_ops *w,
	       const struct sl_run_opts *o, struct sl_metrics *m)
{
	(void)s; (void)w; (void)o;
	sl_metrics_clear(m);
	strcpy(m->status, "skipped:mpi not yet built");
	return 0;
}

int sl_mpi_rank_main(int argc, char **argv) { (void)argc; (void)argv; return 2; }
