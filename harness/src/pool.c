/* pool.c: placeholder until the pool is built. */
#include <errno.h>
#include <string.h>

#include "pool.h"

int sl_pool_prepare_all(void) { return 0; }
void sl_pool_finish_all(void) {}

int sl_pool_run(const struct sl_setting *s, const struct sl_workload_ops *w,
		const struct sl_run_opts *o, struct sl_metrics *m)
{
	(void)s; (void)w; (void)o;
	sl_metrics_clear(m);
	strcpy(m->status, "skipped:pool not yet built");
	return 0;
}

int sl_worker_main(int argc, char **argv) { (void)argc; (void)argv; return 2; }
