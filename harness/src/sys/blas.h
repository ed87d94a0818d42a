/* blas.h: OpenBLAS loaded at run time, pthread or openmp build, so each worker chooses its own. */
#ifndef SL_BLAS_H
#define SL_BLAS_H

#include "core/speedlab.h"

/* CBLAS constants (the values of cblas.h), so no build's header is needed. */
enum { SL_CBLAS_ROW_MAJOR = 101, SL_CBLAS_NO_TRANS = 111 };

struct sl_blas {
	const char *which;               /* "pthread" or "openmp" */
	char path[256];                  /* the library file loaded */
	void *handle;
	void (*dgemm)(int order, int ta, int tb, int m, int n, int k, double alpha, const double *a, int lda,
		      const double *b, int ldb, double beta, double *c, int ldc);
	void (*sgemm)(int order, int ta, int tb, int m, int n, int k, float alpha, const float *a, int lda,
		      const float *b, int ldb, float beta, float *c, int ldc);
	void (*set_num_threads)(int n);
	int (*get_num_threads)(void);
	int (*get_parallel)(void);       /* 0 sequential, 1 pthreads, 2 OpenMP */
	char *(*get_config)(void);
	char *(*get_corename)(void);
};

/* Load the build called which ("pthread" or "openmp"; NULL or "" means pthread) once per process.
 * Returns NULL with msg set when the library or a symbol is missing. */
const struct sl_blas *sl_blas_load(const char *which, char *msg, size_t msglen);
/* The library path of a build, for sysinfo and meta.json. Never fails. */
const char *sl_blas_path(const char *which);

/* Thread limits (threads.c). The environment variables `env` sets before a worker starts, as
 * "NAME=VALUE" strings into out (at most max); returns how many. Unset threads: none. */
int sl_threads_env(const struct sl_setting *s, char out[][64], int max);
/* Apply the setting inside the worker (thread_api = call): openblas_set_num_threads and
 * omp_set_num_threads. blas may be NULL when the workload uses no BLAS. Never fails. */
void sl_threads_apply_call(const struct sl_setting *s, const struct sl_blas *blas);
/* thread_api = env in a worker forked from speedlab (fork, forkserver): speedlab links OpenMP itself
 * (omp_gemm), so the worker inherits an OpenMP runtime that read its count when speedlab started,
 * before OMP_NUM_THREADS was set. Unless the coordinator used a library first (parent_uses: the
 * seeds' trap, measured as it is), give that runtime the count a freshly loaded one would read from
 * the variable. A spawned worker read it already; this is then a no-op. Never fails. */
void sl_threads_apply_env_inherited(const struct sl_setting *s);
/* Threads of this process right now (entries of /proc/self/task). -1 on error. */
int sl_threads_count_self(void);

#endif
