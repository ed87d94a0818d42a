/* dgemm_loop.c: the plain program speedlab's gemm is held against (harness/bench/harness-overhead):
 * the same OpenBLAS build, the same n×n double matrices, a loop of cblas_dgemm calls and nothing else,
 * timed by CLOCK_MONOTONIC around the loop after one untimed warm-up product.
 *
 *   build/dgemm-loop N TASKS [ROUNDS]
 *
 * Prints one line per round: "gflops G wall_s W". Threads: as OpenBLAS reads them from the
 * environment (OPENBLAS_NUM_THREADS), exactly as a speedlab worker with threads unset or set by env. */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <time.h>

#include "sys/blas.h"

static double now(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec + (double)ts.tv_nsec * 1e-9;
}

int main(int argc, char **argv)
{
	char msg[256] = "";
	const struct sl_blas *b;
	long n, tasks, rounds = 1;
	double *a, *bm, *c;

	if (argc < 3 || argc > 4 || (n = atol(argv[1])) < 1 || n > 16384 || (tasks = atol(argv[2])) < 1 ||
	    (argc == 4 && (rounds = atol(argv[3])) < 1)) {
		fprintf(stderr, "usage: dgemm-loop N TASKS [ROUNDS]\n");
		return 2;
	}
	b = sl_blas_load("pthread", msg, sizeof(msg));
	if (!b) {
		fprintf(stderr, "dgemm-loop: %s\n", msg);
		return 1;
	}
	a = aligned_alloc(64, (size_t)(n * n) * sizeof(double) + 64);
	bm = aligned_alloc(64, (size_t)(n * n) * sizeof(double) + 64);
	c = aligned_alloc(64, (size_t)(n * n) * sizeof(double) + 64);
	if (!a || !bm || !c) {
		fprintf(stderr, "dgemm-loop: out of memory\n");
		return 1;
	}
	srand(1);
	for (long i = 0; i < n * n; i++) {
		a[i] = (double)rand() / RAND_MAX;
		bm[i] = (double)rand() / RAND_MAX;
		c[i] = 0;
	}
	b->dgemm(SL_CBLAS_ROW_MAJOR, SL_CBLAS_NO_TRANS, SL_CBLAS_NO_TRANS, (int)n, (int)n, (int)n, 1.0, a, (int)n, bm,
		 (int)n, 0.0, c, (int)n);
	for (long r = 0; r < rounds; r++) {
		double t0 = now(), wall;

		for (long t = 0; t < tasks; t++)
			b->dgemm(SL_CBLAS_ROW_MAJOR, SL_CBLAS_NO_TRANS, SL_CBLAS_NO_TRANS, (int)n, (int)n, (int)n, 1.0, a,
				 (int)n, bm, (int)n, 0.0, c, (int)n);
		wall = now() - t0;
		printf("gflops %.6g wall_s %.6g\n", 2.0 * (double)n * (double)n * (double)n * (double)tasks / wall / 1e9,
		       wall);
	}
	free(a);
	free(bm);
	free(c);
	return 0;
}
