/* engine.c: the one run engine entry (engine.h). */
#include <errno.h>
#include <stdio.h>
#include <string.h>

#include "core/launcher.h"
#include "monitor/metrics.h"
#include "pool/pool.h"
#include "run/engine.h"
#include "sys/placement.h"

bool sl_run_skip(const struct sl_workload_ops *w, const struct sl_setting *s, char *why, size_t len)
{
	const struct sl_launcher_ops *l = sl_launcher_find(s->start_method);

	if (w->unimplemented_reason) {
		snprintf(why, len, "%s", w->unimplemented_reason);
		return true;
	}
	if (!l) {
		snprintf(why, len, "unknown start method %s", s->start_method);
		return true;
	}
	if (l->unimplemented_reason) {
		snprintf(why, len, "%s", l->unimplemented_reason);
		return true;
	}
	why[0] = '\0';
	if (w->supported && !w->supported(s, why, len)) {
		if (!why[0])
			snprintf(why, len, "not supported here");
		return true;
	}
	if (l->supported && !l->supported(s, why, len)) {
		if (!why[0])
			snprintf(why, len, "start method not supported here");
		return true;
	}
	if (w->mem_bytes_per_worker) {
		/* what its workers would allocate together, against the machine: refused before it starts */
		double need = w->mem_bytes_per_worker(s) * (s->processes > 0 ? s->processes : 1) / (1024.0 * 1024 * 1024);
		double have = sl_topology()->mem_gib;

		if (have > 0 && need > have) {
			snprintf(why, len, "needs %.1f GiB (%d process(es)); the machine has %.1f GiB", need, s->processes, have);
			return true;
		}
	}
	return false;
}

int sl_run_one(const struct sl_setting *s, const struct sl_workload_ops *w, const struct sl_run_opts *o,
	       struct sl_metrics *m)
{
	const struct sl_launcher_ops *l = sl_launcher_find(s->start_method);
	char why[200];
	int rc = SL_RUN_WHOLE_USE_POOL;

	sl_metrics_clear(m);
	if (sl_run_skip(w, s, why, sizeof(why))) {
		snprintf(m->status, sizeof(m->status), "skipped:%.151s", why);
		return 0;
	}
	if (w->run_whole)
		rc = w->run_whole(s, o, m);        /* SL_RUN_WHOLE_USE_POOL: command per = task */
	if (rc == SL_RUN_WHOLE_USE_POOL) {
		sl_metrics_clear(m);
		rc = l && (l->engine_flags & SL_LAUNCH_OWN_ENGINE) && l->run ? l->run(s, w, o, m) : sl_pool_run(s, w, o, m);
	}
	/* a failure the engine did not describe still must not read "ok" */
	if (rc < 0 && rc != -EINTR && (!m->status[0] || strcmp(m->status, "ok") == 0))
		snprintf(m->status, sizeof(m->status), "error:%s", sl_strerror(-rc));
	sl_run_metrics_settle(m);
	return rc;
}
