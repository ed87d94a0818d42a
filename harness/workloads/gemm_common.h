/* gemm_common.h: the inputs, checks and checksum shared by gemm (OpenBLAS) and omp_gemm (our kernel). */
#ifndef SL_GEMM_COMMON_H
#define SL_GEMM_COMMON_H

#include "core/workload.h"

/* Up to this n a worker checks every element against a naive product; above it, Freivalds' check. */
#define SL_GEMM_REF_MAX_N 128

/* What is timed and what is not. A task's timed part is the product and its checksum, the sum of
 * one row of C (n additions, the row drawn from the task number). The full checks run outside the
 * clock: each worker checks its warm-up product (task 0, in setup) and, after the run phase, its
 * last measured product in full (every element up to SL_GEMM_REF_MAX_N, Freivalds' check above);
 * the coordinator checks every task's row checksum against (e_rᵀA_t)(B·1) after the run.
 *
 * The product of task t is C = A_t·B with A_t = A + d_t·I: A and B are random (entries in [0, 1),
 * 22 random bits, exact in float and double), built once per worker; d_t in [1, 2) is drawn from
 * the task number, so each task's product and checksum differ and no O(n²) generation sits in
 * the timed task. The coordinator recomputes each checksum without any BLAS. */
struct sl_gemm_buf {
	long n;
	bool single;                 /* dtype float */
	void *a, *b, *c;             /* n×n, row-major, double or float */
	double *adiag;               /* A's diagonal before the task's shift */
	double *x, *y, *z, *w;       /* Freivalds vectors (n each) */
	double *ref;                 /* n×n naive reference, only when n <= SL_GEMM_REF_MAX_N */
	long last_task;              /* the task whose product C holds (checksummed last); -1 none */
};

/* Allocate and fill the buffers for the setting's n and dtype. Returns 0, or -ENOMEM / -EINVAL
 * with msg set; on failure nothing stays allocated. */
int sl_gemm_buf_init(struct sl_gemm_buf *g, const struct sl_setting *s, char *msg, size_t msglen);
/* Free what sl_gemm_buf_init allocated. Safe on a zeroed or freed buffer. Never fails. */
void sl_gemm_buf_free(struct sl_gemm_buf *g);
/* Put task's shift on A's diagonal (exact: the diagonal is rebuilt from adiag). Never fails. */
void sl_gemm_buf_task(struct sl_gemm_buf *g, long task);
/* The timed part's checksum of task's C: the sum of its row checksum_row(task). Records task as the
 * last one. Never fails. */
double sl_gemm_buf_checksum(struct sl_gemm_buf *g, long task);
/* Check the C of task against A_t·B (every element at small n, Freivalds' check above) and put
 * its checksum in *checksum. Untimed. Returns 0, or -EIO with msg naming the first wrong entry. */
int sl_gemm_buf_check(struct sl_gemm_buf *g, long task, double *checksum, char *msg, size_t msglen);
/* Check the last checksummed product in full (after the run phase; nothing to do when there is
 * none). Returns 0, or -EIO with msg naming the task and the wrong entry. */
int sl_gemm_buf_check_last(struct sl_gemm_buf *g, char *msg, size_t msglen);

/* Coordinator side: check every task's row checksum against (e_rᵀA_t)(B·1). Returns 0, or -EINVAL
 * with msg naming the first wrong task. */
int sl_gemm_verify(const struct sl_setting *s, long ntasks, const double *results, char *msg,
		   size_t msglen);
/* 2n³. Never fails. */
double sl_gemm_flops(const struct sl_setting *s);
/* Host bytes sl_gemm_buf_init allocates: three n x n matrices (3 n^2 x 8 bytes in double), the
 * reference up to SL_GEMM_REF_MAX_N, four vectors. Never fails. */
double sl_gemm_mem_bytes(const struct sl_setting *s);

#endif
