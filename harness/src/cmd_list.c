/* cmd_list.c: `speedlab list`: workloads with their parameters, start methods, experiments. */
#include <glob.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "cmd.h"
#include "experiment.h"
#include "launcher.h"
#include "workload.h"

static const char *type_name(enum sl_param_type t)
{
	return t == SL_PARAM_INT ? "int" : t == SL_PARAM_DOUBLE ? "number" : "text";
}

/* Why a workload cannot run here: built without it, or its runtime check fails for a default setting. */
static const char *why_skipped(const struct sl_workload_ops *w, char *buf, size_t len)
{
	struct sl_setting s;

	if (w->unimplemented_reason)
		return w->unimplemented_reason;
	if (!w->supported)
		return NULL;
	memset(&s, 0, sizeof(s));
	s.processes = 1;
	s.chunksize = 1;
	strcpy(s.start_method, "fork");
	strcpy(s.device, strncmp(w->name, "gpu", 3) == 0 ? "gpu" : "cpu");
	strcpy(s.blas, "pthread");
	strcpy(s.dispatch, "shm");
	strcpy(s.thread_api, "env");
	strcpy(s.parent_uses, "none");
	strcpy(s.affinity, "none");
	strcpy(s.mem_policy, "default");
	sl_strlcpy(s.workload, w->name, sizeof(s.workload));
	for (const struct sl_param_def *p = w->params; p && p->name && s.nparams < SL_MAX_PARAMS; p++) {
		struct sl_param_value *v = &s.params[s.nparams++];

		sl_strlcpy(v->name, p->name, sizeof(v->name));
		sl_strlcpy(v->text, p->def ? p->def : "", sizeof(v->text));
		if (!sl_parse_double(v->text, &v->num))
			v->num = NAN;
	}
	buf[0] = '\0';
	if (!w->supported(&s, buf, len))
		return buf[0] ? buf : "not supported here";
	return NULL;
}

static void list_experiments(const char *pattern)
{
	glob_t g;

	if (glob(pattern, 0, NULL, &g) != 0)
		return;
	for (size_t i = 0; i < g.gl_pathc; i++) {
		struct sl_experiment *e = calloc(1, sizeof(*e));
		int rc;

		if (!e)
			break;
		/* problems are shown by `speedlab run`; here a broken file is named in one line */
		sl_quiet_errors = true;
		rc = sl_experiment_load(e, g.gl_pathv[i], "", NULL, 0);
		sl_quiet_errors = false;
		if (rc == 0)
			printf("  %-40s %s\n", g.gl_pathv[i], e->question);
		else
			printf("  %-40s (does not parse: run it to see why)\n", g.gl_pathv[i]);
		free(e);
	}
	globfree(&g);
}

int sl_cmd_list(int argc, char **argv)
{
	char why[256];

	(void)argv;
	if (argc > 1) {
		sl_err("list: takes no arguments");
		return SL_EXIT_USAGE;
	}
	printf("workloads:\n");
	for (const struct sl_workload_ops *const *w = sl_workloads; *w; w++) {
		const char *skip = why_skipped(*w, why, sizeof(why));

		printf("  %-12s %s%s%s%s\n", (*w)->name, (*w)->help, skip ? " [skipped: " : "", skip ? skip : "",
		       skip ? "]" : "");
		for (const struct sl_param_def *p = (*w)->params; p && p->name; p++) {
			char range[96] = "";

			if (p->choices)
				snprintf(range, sizeof(range), " (%s)", p->choices);
			else if (p->type != SL_PARAM_STRING && (p->min != 0 || p->max != 0))
				snprintf(range, sizeof(range), " [%g..%g]", p->min, p->max);
			printf("      %-12s %-6s default %-8s %s%s\n", p->name, type_name(p->type), p->def ? p->def : "-",
			       p->help ? p->help : "", range);
		}
	}
	printf("\nstart methods:\n");
	for (const struct sl_launcher_ops *const *l = sl_launchers; *l; l++)
		printf("  %-12s %s%s%s%s\n", (*l)->name, (*l)->help, (*l)->unimplemented_reason ? " [skipped: " : "",
		       (*l)->unimplemented_reason ? (*l)->unimplemented_reason : "", (*l)->unimplemented_reason ? "]" : "");
	printf("\naxes of [sweep] (besides any workload parameter):\n"
	       "  processes     worker processes: numbers, ranges 1..8, pow2(1..2*cores), cores, physical, 2*cores\n"
	       "  chunksize     tasks per chunk, or auto (Python's rule: ceil(tasks / (4 processes)))\n"
	       "  start_method  fork, spawn, forkserver, mpi\n"
	       "  threads       library threads per worker: unset (library default), auto (cores/processes), or N\n"
	       "  thread_api    env (variables set before the worker starts) or call (set inside the worker)\n"
	       "  dispatch      pipe: Python's Pool design: one task pipe all workers read under a lock, one\n"
	       "                result pipe, one message and one write per chunk, each message read on its own\n"
	       "                batch: speedlab's own channel per worker, up to 256 chunk messages sent in one\n"
	       "                write and results batched back (few system calls per task)\n"
	       "                shm: workers claim chunks from a shared counter, no system call per task\n"
	       "                (mpi: pipe and batch are rank 0 answering requests, shm an MPI window)\n"
	       "  device        cpu or gpu\n"
	       "  blas          pthread or openmp: which OpenBLAS build the workers load\n"
	       "  parent_rss_mb memory the coordinator touches before starting workers (MiB)\n"
	       "  parent_uses   none, openmp, openblas, cuda: what the coordinator uses before starting workers\n"
	       "  affinity      none, cpus:N (every worker on the first N CPUs, as taskset), core (a core each),\n"
	       "                compact (neighbouring CPUs, SMT siblings first), spread (hwloc_distrib)\n"
	       "  mem_policy    default, local, interleave, bind: each worker's memory policy (hwloc membind)\n");
	printf("\nexperiments:\n");
	list_experiments("experiments/*.ini");
	list_experiments("experiments/seeds/*.ini");
	return SL_EXIT_OK;
}
