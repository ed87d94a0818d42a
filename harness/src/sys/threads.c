/* threads.c: thread limits (the `threads` and `thread_api` axes) and counting a process's threads. */
#include <dirent.h>
#include <omp.h>
#include <string.h>

#include "sys/blas.h"

/* Every variable a BLAS or OpenMP runtime may read for its thread count. The pthread build of
 * OpenBLAS reads OPENBLAS_NUM_THREADS, then GOTO_NUM_THREADS, then OMP_NUM_THREADS; the openmp
 * build also follows OpenMP's own count (omp_get_max_threads) at every call; MKL is here so a
 * `command` that uses MKL obeys the same setting. */
static const char *const thread_vars[] = {
	"OPENBLAS_NUM_THREADS", "OMP_NUM_THREADS", "GOTO_NUM_THREADS", "MKL_NUM_THREADS", NULL,
};

/* thread_api defaults to env when the setting leaves it empty. */
static bool api_is(const struct sl_setting *s, const char *api)
{
	const char *t = s->thread_api[0] ? s->thread_api : "env";

	return strcmp(t, api) == 0;
}

static int resolved_threads(const struct sl_setting *s)
{
	return s->threads >= 1 ? s->threads : 1;
}

int sl_threads_env(const struct sl_setting *s, char out[][64], int max)
{
	int n = 0;

	if (s->threads_kind == SL_THREADS_UNSET || !api_is(s, "env"))
		return 0;
	for (int i = 0; thread_vars[i] && n < max; i++, n++)
		snprintf(out[n], 64, "%s=%d", thread_vars[i], resolved_threads(s));
	return n;
}

void sl_threads_apply_call(const struct sl_setting *s, const struct sl_blas *blas)
{
	int n;

	if (s->threads_kind == SL_THREADS_UNSET || !api_is(s, "call"))
		return;
	n = resolved_threads(s);
	if (blas)
		blas->set_num_threads(n);
	omp_set_num_threads(n);
}

void sl_threads_apply_env_inherited(const struct sl_setting *s)
{
	if (s->threads_kind == SL_THREADS_UNSET || !api_is(s, "env"))
		return;
	if (s->parent_uses[0] && strcmp(s->parent_uses, "none") != 0)
		return;
	omp_set_num_threads(resolved_threads(s));
}

int sl_threads_count_self(void)
{
	DIR *d = opendir("/proc/self/task");
	struct dirent *e;
	int n = 0;

	if (!d)
		return -1;
	while ((e = readdir(d)))
		if (e->d_name[0] != '.')
			n++;
	closedir(d);
	return n;
}
