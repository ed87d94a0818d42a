/* gemm_common.c: the inputs, checks and checksum shared by gemm (OpenBLAS) and omp_gemm (our kernel). */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "workloads/gemm_common.h"
#include "workloads/wl_common.h"

/* Seeds of the independent random streams (far apart, so no two streams overlap). */
#define SEED_A 0x1000000000000000ULL
#define SEED_B 0x2000000000000000ULL
#define SEED_D 0x3000000000000000ULL
#define SEED_X 0x4000000000000000ULL

/* Unit roundoff of the product's type, and of the double sums around it. */
#define U_DOUBLE 0x1.0p-53
#define U_FLOAT 0x1.0p-24

/* An input entry in [0, 1) with 22 random bits: exact in float, and A_t's diagonal entry
 * a + d_t (in [1, 3)) stays exact in float too. */
static double entry(uint64_t seed, uint64_t idx)
{
	return (double)(sl_mix64(seed + idx) >> 42) * 0x1.0p-22;
}

/* d_t in [1, 2), in steps of 1/256. */
static double diag_shift(long task)
{
	return 1.0 + (double)(sl_mix64(SEED_D + (uint64_t)task) >> 56) / 256.0;
}

static long setting_n(const struct sl_setting *s)
{
	return (long)sl_setting_num(s, "n", 512);
}

static bool setting_single(const struct sl_setting *s)
{
	return strcmp(sl_setting_text(s, "dtype", "double"), "float") == 0;
}

static void *alloc_matrix(long n, size_t elem)
{
	size_t bytes = (size_t)n * (size_t)n * elem;

	bytes = (bytes + 63) & ~(size_t)63;
	return aligned_alloc(64, bytes);
}

/* Element (i, j) of a matrix held as double or float. */
static inline double get(const struct sl_gemm_buf *g, const void *m, long i, long j)
{
	return g->single ? ((const float *)m)[i * g->n + j] : ((const double *)m)[i * g->n + j];
}

static inline void put(const struct sl_gemm_buf *g, void *m, long i, long j, double v)
{
	if (g->single)
		((float *)m)[i * g->n + j] = (float)v;
	else
		((double *)m)[i * g->n + j] = v;
}

double sl_gemm_mem_bytes(const struct sl_setting *s)
{
	double n = (double)setting_n(s), elem = setting_single(s) ? sizeof(float) : sizeof(double);

	return 3 * n * n * elem + (n <= SL_GEMM_REF_MAX_N ? n * n * sizeof(double) : 0) + 5 * n * sizeof(double);
}

int sl_gemm_buf_init(struct sl_gemm_buf *g, const struct sl_setting *s, char *msg, size_t msglen)
{
	long n = setting_n(s);
	size_t elem;

	memset(g, 0, sizeof(*g));
	if (n < 1) {
		snprintf(msg, msglen, "n must be at least 1 (got %ld)", n);
		return -EINVAL;
	}
	g->n = n;
	g->last_task = -1;
	g->single = setting_single(s);
	elem = g->single ? sizeof(float) : sizeof(double);
	g->a = alloc_matrix(n, elem);
	g->b = alloc_matrix(n, elem);
	g->c = alloc_matrix(n, elem);
	g->adiag = malloc((size_t)n * sizeof(double));
	g->x = malloc((size_t)n * 4 * sizeof(double));
	if (n <= SL_GEMM_REF_MAX_N)
		g->ref = alloc_matrix(n, sizeof(double));
	if (!g->a || !g->b || !g->c || !g->adiag || !g->x || (n <= SL_GEMM_REF_MAX_N && !g->ref)) {
		snprintf(msg, msglen, "cannot allocate three %ldx%ld matrices", n, n);
		sl_gemm_buf_free(g);
		return -ENOMEM;
	}
	g->y = g->x + n;
	g->z = g->y + n;
	g->w = g->z + n;
	for (long i = 0; i < n; i++)
		for (long j = 0; j < n; j++) {
			uint64_t idx = (uint64_t)(i * n + j);

			put(g, g->a, i, j, entry(SEED_A, idx));
			put(g, g->b, i, j, entry(SEED_B, idx));
			put(g, g->c, i, j, 0.0);
		}
	for (long i = 0; i < n; i++)
		g->adiag[i] = get(g, g->a, i, i);
	return 0;
}

void sl_gemm_buf_free(struct sl_gemm_buf *g)
{
	free(g->a);
	free(g->b);
	free(g->c);
	free(g->adiag);
	free(g->x);
	free(g->ref);
	memset(g, 0, sizeof(*g));
}

void sl_gemm_buf_task(struct sl_gemm_buf *g, long task)
{
	double d = diag_shift(task);

	for (long i = 0; i < g->n; i++)
		put(g, g->a, i, i, g->adiag[i] + d);
}

/* The worst-case rounding error of an n-term dot product of non-negative numbers in the
 * product's type, plus the double sums of the check, relative to the exact value (all inputs
 * are non-negative, so |A||B| = AB and the bound is relative). Doubled for safety. */
static double rel_tol(const struct sl_gemm_buf *g)
{
	double u = g->single ? U_FLOAT : U_DOUBLE;

	return 2.0 * ((double)g->n * u + 4.0 * (double)g->n * U_DOUBLE) + 1e-300;
}

static int check_naive(struct sl_gemm_buf *g, char *msg, size_t msglen)
{
	long n = g->n;
	double tol = rel_tol(g);

	for (long i = 0; i < n; i++) {
		double *r = g->ref + i * n;

		for (long j = 0; j < n; j++)
			r[j] = 0.0;
		for (long k = 0; k < n; k++) {
			double a = get(g, g->a, i, k);

			for (long j = 0; j < n; j++)
				r[j] += a * get(g, g->b, k, j);
		}
		for (long j = 0; j < n; j++) {
			double c = get(g, g->c, i, j);

			if (!(fabs(c - r[j]) <= tol * r[j])) {
				snprintf(msg, msglen, "C[%ld][%ld] = %.17g, reference %.17g", i, j, c, r[j]);
				return -EIO;
			}
		}
	}
	return 0;
}

/* Freivalds: C·x must equal A·(B·x) for a random x; wrong entries almost surely show. */
static int check_freivalds(struct sl_gemm_buf *g, long task, char *msg, size_t msglen)
{
	long n = g->n;
	double tol = rel_tol(g);

	for (long j = 0; j < n; j++)
		g->x[j] = entry(SEED_X + (uint64_t)task * (uint64_t)n, (uint64_t)j) + 0x1.0p-23;
	for (long i = 0; i < n; i++) {
		double yi = 0.0, wi = 0.0;

		for (long j = 0; j < n; j++) {
			yi += get(g, g->b, i, j) * g->x[j];
			wi += get(g, g->c, i, j) * g->x[j];
		}
		g->y[i] = yi;
		g->w[i] = wi;
	}
	for (long i = 0; i < n; i++) {
		double zi = 0.0;

		for (long j = 0; j < n; j++)
			zi += get(g, g->a, i, j) * g->y[j];
		g->z[i] = zi;
		if (!(fabs(g->w[i] - zi) <= tol * zi)) {
			snprintf(msg, msglen, "row %ld of C·x = %.17g, A·(B·x) = %.17g (Freivalds' check)",
				 i, g->w[i], zi);
			return -EIO;
		}
	}
	return 0;
}

/* The row of C whose sum is task's checksum, spread over the rows by the task number. */
static long checksum_row(long n, long task)
{
	return (long)(sl_mix64(SEED_X ^ (uint64_t)task) % (uint64_t)n);
}

double sl_gemm_buf_checksum(struct sl_gemm_buf *g, long task)
{
	long r = checksum_row(g->n, task);
	double sum = 0.0;

	for (long j = 0; j < g->n; j++)
		sum += get(g, g->c, r, j);
	g->last_task = task;
	return sum;
}

int sl_gemm_buf_check(struct sl_gemm_buf *g, long task, double *checksum, char *msg, size_t msglen)
{
	int rc;

	rc = g->n <= SL_GEMM_REF_MAX_N ? check_naive(g, msg, msglen) : check_freivalds(g, task, msg, msglen);
	if (rc)
		return rc;
	*checksum = sl_gemm_buf_checksum(g, task);
	return 0;
}

int sl_gemm_buf_check_last(struct sl_gemm_buf *g, char *msg, size_t msglen)
{
	char why[SL_STATUS_LEN - 32];
	double sum;
	int rc;

	if (g->last_task < 0)
		return 0;
	/* A wasn't touched since: sl_gemm_buf_task of the last task is still on its diagonal. */
	rc = sl_gemm_buf_check(g, g->last_task, &sum, why, sizeof(why));
	if (rc)
		snprintf(msg, msglen, "task %ld: %s", g->last_task, why);
	return rc;
}

int sl_gemm_verify(const struct sl_setting *s, long ntasks, const double *results, char *msg,
		   size_t msglen)
{
	long n = setting_n(s);
	bool single = setting_single(s);
	double *rowsum_b, *a_rb, tol;

	rowsum_b = calloc((size_t)n * 2, sizeof(double));
	if (!rowsum_b) {
		snprintf(msg, msglen, "cannot allocate %ld doubles", 2 * n);
		return -ENOMEM;
	}
	a_rb = rowsum_b + n;
	/* Row r of C_t sums to (e_rᵀA_t)(B·1) = (A·rb)[r] + d_t·rb[r], rb = B·1: O(n) per task after A·rb. */
	for (long k = 0; k < n; k++)
		for (long j = 0; j < n; j++)
			rowsum_b[k] += entry(SEED_B, (uint64_t)(k * n + j));
	for (long i = 0; i < n; i++)
		for (long k = 0; k < n; k++)
			a_rb[i] += entry(SEED_A, (uint64_t)(i * n + k)) * rowsum_b[k];
	tol = 2.0 * ((double)n * (single ? U_FLOAT : U_DOUBLE) + 4.0 * (double)n * U_DOUBLE);
	for (long t = 0; t < ntasks; t++) {
		long r = checksum_row(n, t);
		double want = a_rb[r] + diag_shift(t) * rowsum_b[r];

		if (!(fabs(results[t] - want) <= tol * want)) {
			snprintf(msg, msglen, "task %ld: checksum of row %ld %.17g, expected %.17g", t, r, results[t],
				 want);
			free(rowsum_b);
			return -EINVAL;
		}
	}
	free(rowsum_b);
	return 0;
}

double sl_gemm_flops(const struct sl_setting *s)
{
	double n = (double)setting_n(s);

	return 2.0 * n * n * n;
}
