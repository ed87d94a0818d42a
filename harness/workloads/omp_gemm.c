/* omp_gemm.c: n×n matrix product by our own cache-blocked, OpenMP-parallel kernel, so OpenMP thread
 * limits are measured on code we control (no BLAS involved). */
#include <errno.h>
#include <omp.h>
#include <stdlib.h>
#include <string.h>

#include "sys/blas.h"
#include "workloads/gemm_common.h"

/* Block sizes: a KB×NB panel of B (128×256 doubles, 256 KiB) stays in L2 while MB rows of A
 * stream past it; each thread owns whole MB-row blocks of C, so threads never share a line of C. */
#define MB 32
#define KB 128
#define NB 256

static inline long min_l(long a, long b)
{
	return a < b ? a : b;
}

/* C = A·B for row-major n×n matrices, one kernel per type. */
#define DEFINE_KERNEL(name, T)                                                                    \
	static void name(long n, const T *restrict a, const T *restrict b, T *restrict c)         \
	{                                                                                         \
		long nblocks = (n + MB - 1) / MB;                                                 \
		_Pragma("omp parallel for schedule(static)")                                      \
		for (long ib = 0; ib < nblocks; ib++) {                                           \
			long i0 = ib * MB, i1 = min_l(i0 + MB, n);                                \
			for (long i = i0; i < i1; i++)                                            \
				memset(c + i * n, 0, (size_t)n * sizeof(T));                      \
			for (long k0 = 0; k0 < n; k0 += KB) {                                     \
				long k1 = min_l(k0 + KB, n);                                      \
				for (long j0 = 0; j0 < n; j0 += NB) {                             \
					long j1 = min_l(j0 + NB, n);                              \
					for (long i = i0; i < i1; i++) {                          \
						T *restrict ci = c + i * n;                       \
						for (long k = k0; k < k1; k++) {                  \
							T aik = a[i * n + k];                     \
							const T *restrict bk = b + k * n;         \
							_Pragma("omp simd")                       \
							for (long j = j0; j < j1; j++)            \
								ci[j] += aik * bk[j];             \
						}                                                 \
					}                                                         \
				}                                                                 \
			}                                                                         \
		}                                                                                 \
	}

DEFINE_KERNEL(omp_gemm_double, double)
DEFINE_KERNEL(omp_gemm_float, float)

/* The product of task: the timed work. */
static void omp_gemm_product(struct sl_gemm_buf *g, long task)
{
	sl_gemm_buf_task(g, task);
	if (g->single)
		omp_gemm_float(g->n, g->a, g->b, g->c);
	else
		omp_gemm_double(g->n, g->a, g->b, g->c);
}

static int omp_gemm_setup(struct sl_wctx *w, char *msg, size_t msglen)
{
	struct sl_gemm_buf *g = calloc(1, sizeof(*g));
	int rc;

	if (!g) {
		snprintf(msg, msglen, "out of memory");
		return -ENOMEM;
	}
	sl_threads_apply_call(w->setting, NULL);
	w->lib_threads = omp_get_max_threads();
	rc = sl_gemm_buf_init(g, w->setting, msg, msglen);
	if (rc) {
		free(g);
		return rc;
	}
	/* warm-up, untimed: task 0's product, checked in full */
	omp_gemm_product(g, 0);
	if ((rc = sl_gemm_buf_check(g, 0, &(double){ 0 }, msg, msglen)) != 0) {
		sl_gemm_buf_free(g);
		free(g);
		return rc;
	}
	g->last_task = -1;
	w->state = g;
	return 0;
}

static int omp_gemm_run_task(struct sl_wctx *w, long task, const void *in, void *out, double *result,
			     char *msg, size_t msglen)
{
	struct sl_gemm_buf *g = w->state;

	(void)in, (void)out, (void)msg, (void)msglen;
	omp_gemm_product(g, task);
	*result = sl_gemm_buf_checksum(g, task);
	return 0;
}

static int omp_gemm_after_run(struct sl_wctx *w, char *msg, size_t msglen)
{
	return sl_gemm_buf_check_last(w->state, msg, msglen);
}

static void omp_gemm_teardown(struct sl_wctx *w)
{
	struct sl_gemm_buf *g = w->state;

	if (!g)
		return;
	sl_gemm_buf_free(g);
	free(g);
	w->state = NULL;
}

static int omp_gemm_verify(const struct sl_setting *s, long ntasks, const double *results,
			   const void *outputs, char *msg, size_t msglen)
{
	(void)outputs;
	return sl_gemm_verify(s, ntasks, results, msg, msglen);
}

static const struct sl_param_def omp_gemm_params[] = {
	{ .name = "n", .type = SL_PARAM_INT, .def = "512",
	  .help = "matrix order: each task multiplies two n x n matrices (2n^3 flops); the kernel "
		  "splits C into blocks of 32 rows, so n/32 blocks bound the useful OpenMP threads",
	  .min = 1, .max = 16384 },
	{ .name = "dtype", .type = SL_PARAM_STRING, .def = "double",
	  .help = "element type: double or float", .choices = "double|float" },
	{ .name = "tasks", .type = SL_PARAM_INT, .def = "16",
	  .help = "matrix products per run", .min = 1, .max = 1e7 },
	{ .name = NULL },
};

const struct sl_workload_ops sl_workload_omp_gemm = {
	.name = "omp_gemm",
	.help = "n x n matrix product by speedlab's own cache-blocked OpenMP kernel (threads from "
		"OMP_NUM_THREADS or omp_set_num_threads); timed and checked like gemm (product and one row's sum "
		"timed, full checks outside the clock)",
	.params = omp_gemm_params,
	.setup = omp_gemm_setup,
	.run_task = omp_gemm_run_task,
	.after_run = omp_gemm_after_run,
	.teardown = omp_gemm_teardown,
	.flops_per_task = sl_gemm_flops,
	.verify = omp_gemm_verify,
	.mem_bytes_per_worker = sl_gemm_mem_bytes,
	.threads_env = "OMP_NUM_THREADS",
};
