/* test_workloads.c: every CPU workload computes the right thing, its check catches a wrong result,
 * and its parameter table is sane (callbacks driven directly, without the pool). */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>
#include <errno.h>
#include <time.h>

#include "sys/blas.h"
#include "wl_testutil.h"
#include "workloads/gemm_common.h"
#include "workloads/wl_common.h"

extern const struct sl_workload_ops sl_workload_gemm, sl_workload_omp_gemm, sl_workload_scalar,
	sl_workload_sleep, sl_workload_transfer, sl_workload_skewed, sl_workload_command, sl_workload_gpu_gemm;

static const struct sl_workload_ops *const mine[] = {
	&sl_workload_gemm, &sl_workload_omp_gemm, &sl_workload_scalar, &sl_workload_sleep,
	&sl_workload_transfer, &sl_workload_skewed, &sl_workload_command, NULL,
};

/* Run s, expect every task and the check to pass, then corrupt one result and expect a failure. */
static void run_verify_corrupt(const struct sl_workload_ops *w, const struct sl_setting *s)
{
	struct wl_run r;
	long t;

	wl_run(w, s, &r);
	if (r.rc)
		fail_msg("%s: task failed: %s", w->name, r.msg);
	if (wl_verify(w, s, &r))
		fail_msg("%s: verify failed: %s", w->name, r.msg);
	t = r.ntasks / 2;
	r.results[t] = r.results[t] * (1 + 1e-3) + 1;
	assert_int_equal(wl_verify(w, s, &r), -EINVAL);
	assert_non_null(strstr(r.msg, "task"));
	wl_run_free(&r);
}

/* Every registered workload (the registry, not a list of this file's): a sane parameter table, help,
 * and, where this build can run it, a task and a check of its results. */
static void test_params_sane(void **state)
{
	int n = 0;

	(void)state;
	for (const struct sl_workload_ops *const *w = sl_workloads; *w; w++, n++) {
		const char *bad = wl_params_bad(*w);

		if (bad)
			fail_msg("%s: parameter '%s' has no help, or a default outside its range", (*w)->name, bad);
		assert_non_null((*w)->help);
		assert_ptr_equal(sl_workload_find((*w)->name), *w);
		if ((*w)->unimplemented_reason)
			continue;
		if (!(*w)->run_task)
			fail_msg("%s: no run_task", (*w)->name);
		if (!(*w)->verify)
			fail_msg("%s: no verify: its results would go unchecked", (*w)->name);
	}
	assert_true(n >= 8);
	for (int i = 0; mine[i]; i++)
		assert_null(mine[i]->unimplemented_reason);
}

/* ---- gemm and omp_gemm ---- */

static void gemm_case(const struct sl_workload_ops *w, const char *n, const char *dtype, const char *blas)
{
	struct sl_setting s;

	wl_setting_defaults(&s, w);
	wl_set(&s, "n", n);
	wl_set(&s, "dtype", dtype);
	wl_set(&s, "tasks", "3");
	snprintf(s.blas, sizeof(s.blas), "%s", blas);
	run_verify_corrupt(w, &s);
}

static void test_gemm_results(void **state)
{
	(void)state;
	/* 64: every element against the naive product; 200: Freivalds' check. */
	gemm_case(&sl_workload_gemm, "64", "double", "pthread");
	gemm_case(&sl_workload_gemm, "64", "float", "pthread");
	gemm_case(&sl_workload_gemm, "200", "double", "pthread");
	gemm_case(&sl_workload_gemm, "200", "float", "openmp");
	gemm_case(&sl_workload_gemm, "33", "double", "openmp");
	assert_float_equal(sl_workload_gemm.flops_per_task(&(struct sl_setting){
				    .nparams = 1, .params = { { "n", "10", 10 } } }), 2000.0, 0);
}

static void test_omp_gemm_results(void **state)
{
	(void)state;
	/* Sizes that are not multiples of the block sizes, on both sides of the naive/Freivalds split. */
	gemm_case(&sl_workload_omp_gemm, "1", "double", "pthread");
	gemm_case(&sl_workload_omp_gemm, "70", "double", "pthread");
	gemm_case(&sl_workload_omp_gemm, "70", "float", "pthread");
	gemm_case(&sl_workload_omp_gemm, "300", "double", "pthread");
	gemm_case(&sl_workload_omp_gemm, "300", "float", "pthread");
}

/* The worker-side check catches a single wrong entry of C, with either method. */
static void check_catches(const char *n, const char *dtype)
{
	struct sl_setting s;
	struct sl_gemm_buf g;
	struct sl_wctx w = { .setting = &s };
	char msg[256];
	double sum;
	int rc;

	wl_setting_defaults(&s, &sl_workload_omp_gemm);
	wl_set(&s, "n", n);
	wl_set(&s, "dtype", dtype);
	assert_int_equal(sl_workload_omp_gemm.setup(&w, msg, sizeof(msg)), 0);
	assert_int_equal(sl_workload_omp_gemm.run_task(&w, 5, NULL, NULL, &sum, msg, sizeof(msg)), 0);
	g = *(struct sl_gemm_buf *)w.state;
	if (g.single)
		((float *)g.c)[7 * g.n + 3] *= 1.01f;
	else
		((double *)g.c)[7 * g.n + 3] *= 1.0001;
	rc = sl_gemm_buf_check(&g, 5, &sum, msg, sizeof(msg));
	assert_int_equal(rc, -EIO);
	sl_workload_omp_gemm.teardown(&w);
}

static void test_gemm_check_catches_wrong_entry(void **state)
{
	(void)state;
	check_catches("50", "double");
	check_catches("50", "float");
	check_catches("256", "double");
	check_catches("256", "float");
}

/* The timed task holds only the product and one row's sum; a wrong product is still caught outside
 * the clock: by the worker's full check of its last product (after_run), whichever entry is wrong. */
static void after_run_catches(const struct sl_workload_ops *wl, const char *n, const char *dtype)
{
	struct sl_setting s;
	struct sl_gemm_buf *g;
	struct sl_wctx w = { .setting = &s };
	char msg[256] = "";
	double sum;

	wl_setting_defaults(&s, wl);
	wl_set(&s, "n", n);
	wl_set(&s, "dtype", dtype);
	assert_int_equal(wl->setup(&w, msg, sizeof(msg)), 0);
	assert_non_null(wl->after_run);
	assert_int_equal(wl->after_run(&w, msg, sizeof(msg)), 0);          /* no task yet: nothing to check */
	for (long t = 0; t < 3; t++)
		assert_int_equal(wl->run_task(&w, t, NULL, NULL, &sum, msg, sizeof(msg)), 0);
	assert_int_equal(wl->after_run(&w, msg, sizeof(msg)), 0);
	g = wl == &sl_workload_omp_gemm ? w.state : (struct sl_gemm_buf *)((char *)w.state + sizeof(void *));
	if (g->single)
		((float *)g->c)[(g->n - 1) * g->n + 1] *= 1.01f;
	else
		((double *)g->c)[(g->n - 1) * g->n + 1] *= 1.0001;
	assert_int_equal(wl->after_run(&w, msg, sizeof(msg)), -EIO);
	if (!strstr(msg, "task 2"))
		fail_msg("%s n=%s: '%s' does not name task 2", wl->name, n, msg);
	wl->teardown(&w);
}

static void test_gemm_checks_outside_the_task(void **state)
{
	(void)state;
	after_run_catches(&sl_workload_omp_gemm, "50", "double");
	after_run_catches(&sl_workload_omp_gemm, "256", "float");
	after_run_catches(&sl_workload_gemm, "64", "double");
	after_run_catches(&sl_workload_gemm, "200", "double");
	after_run_catches(&sl_workload_gemm, "200", "float");
}

static void test_gemm_threads_call(void **state)
{
	struct sl_setting s;
	struct wl_run r;

	(void)state;
	wl_setting_defaults(&s, &sl_workload_gemm);
	wl_set(&s, "n", "64");
	wl_set(&s, "tasks", "1");
	s.threads_kind = SL_THREADS_N;
	s.threads = 1;
	strcpy(s.threads_text, "1");
	strcpy(s.thread_api, "call");
	wl_run(&sl_workload_gemm, &s, &r);
	assert_int_equal(r.rc, 0);
	assert_int_equal(r.lib_threads, 1);
	wl_run_free(&r);
	wl_run(&sl_workload_omp_gemm, &s, &r);
	assert_int_equal(r.rc, 0);
	assert_int_equal(r.lib_threads, 1);
	wl_run_free(&r);
}

static void test_gemm_gpu_delegation(void **state)
{
	struct sl_setting s;
	char why[256] = "";

	(void)state;
	wl_setting_defaults(&s, &sl_workload_gemm);
	strcpy(s.device, "gpu");
	/* A build without CUDA: the run is skipped with gpu_gemm's reason, never run on the CPU. */
	if (sl_workload_gpu_gemm.unimplemented_reason) {
		assert_false(sl_workload_gemm.supported(&s, why, sizeof(why)));
		assert_string_equal(why, sl_workload_gpu_gemm.unimplemented_reason);
	}
	/* gpu_gemm's per-task output (device timings) comes along on the GPU, nothing on the CPU */
	assert_int_equal(sl_workload_gemm.task_out_bytes(&s),
			 sl_workload_gpu_gemm.task_out_bytes ? sl_workload_gpu_gemm.task_out_bytes(&s) : 0);
	strcpy(s.device, "cpu");
	assert_int_equal(sl_workload_gemm.task_out_bytes(&s), 0);
	assert_int_equal(sl_workload_gemm.task_in_bytes(&s), 0);
	assert_true(sl_workload_gemm.supported(&s, why, sizeof(why)));
	strcpy(s.blas, "openmp");
	assert_true(sl_workload_gemm.supported(&s, why, sizeof(why)));
}

/* ---- scalar ---- */

static void test_scalar(void **state)
{
	struct sl_setting s;
	struct wl_run r;

	(void)state;
	wl_setting_defaults(&s, &sl_workload_scalar);
	wl_set(&s, "cost", "3000");
	wl_set(&s, "tasks", "5");
	run_verify_corrupt(&sl_workload_scalar, &s);

	/* Known counts: 25 primes below 100, 21 in [100, 200). */
	wl_set(&s, "start", "0");
	wl_set(&s, "cost", "100");
	wl_set(&s, "tasks", "2");
	wl_run(&sl_workload_scalar, &s, &r);
	assert_int_equal(r.rc, 0);
	assert_float_equal(r.results[0], 25, 0);
	assert_float_equal(r.results[1], 21, 0);
	assert_int_equal(wl_verify(&sl_workload_scalar, &s, &r), 0);
	wl_run_free(&r);

	/* Across 2^32: the 64-bit path, checked by the sieve. */
	wl_set(&s, "start", "4294966296");
	wl_set(&s, "cost", "1000");
	wl_set(&s, "tasks", "2");
	run_verify_corrupt(&sl_workload_scalar, &s);
}

/* ---- sleep ---- */

static void test_sleep(void **state)
{
	struct sl_setting s;
	struct timespec a, b;
	double waited;

	(void)state;
	wl_setting_defaults(&s, &sl_workload_sleep);
	wl_set(&s, "ms", "20");
	wl_set(&s, "tasks", "3");
	clock_gettime(CLOCK_MONOTONIC, &a);
	run_verify_corrupt(&sl_workload_sleep, &s);
	clock_gettime(CLOCK_MONOTONIC, &b);
	/* A lower bound only: the tasks waited at least what they were asked to. */
	waited = (double)(b.tv_sec - a.tv_sec) + (double)(b.tv_nsec - a.tv_nsec) * 1e-9;
	assert_true(waited >= 3 * 0.020);
}

/* ---- transfer ---- */

static void test_transfer(void **state)
{
	struct sl_setting s;
	struct wl_run r;
	double *out;

	(void)state;
	wl_setting_defaults(&s, &sl_workload_transfer);
	wl_set(&s, "n", "45");
	wl_set(&s, "tasks", "4");
	assert_int_equal(sl_workload_transfer.task_in_bytes(&s), 45 * 45 * 8);
	assert_int_equal(sl_workload_transfer.task_out_bytes(&s), 45 * 45 * 8);
	run_verify_corrupt(&sl_workload_transfer, &s);

	/* A wrong output entry fails even when the checksum is right. */
	wl_run(&sl_workload_transfer, &s, &r);
	assert_int_equal(r.rc, 0);
	out = (double *)r.outputs + 2 * 45 * 45;
	out[45 * 3 + 1] += 1;
	out[45 * 1 + 3] -= 1;
	assert_int_equal(wl_verify(&sl_workload_transfer, &s, &r), -EINVAL);
	assert_non_null(strstr(r.msg, "task 2: output"));
	wl_run_free(&r);
}

/* ---- skewed ---- */

static double mean_steps(const struct sl_setting *s, long n, uint64_t *lo, uint64_t *hi)
{
	double sum = 0;

	*lo = UINT64_MAX;
	*hi = 0;
	for (long t = 0; t < n; t++) {
		uint64_t c = sl_skewed_task_steps(s, t);

		sum += (double)c;
		*lo = c < *lo ? c : *lo;
		*hi = c > *hi ? c : *hi;
	}
	return sum / (double)n;
}

static void test_skewed_results(void **state)
{
	static const char *const dists[] = { "uniform", "lognormal", "one-heavy" };
	struct sl_setting s;

	(void)state;
	for (int i = 0; i < 3; i++) {
		wl_setting_defaults(&s, &sl_workload_skewed);
		wl_set(&s, "dist", dists[i]);
		wl_set(&s, "mean_cost", "0.05");
		wl_set(&s, "tasks", "12");
		run_verify_corrupt(&sl_workload_skewed, &s);
	}
}

static void test_skewed_distributions(void **state)
{
	struct sl_setting s, s2;
	uint64_t lo, hi;
	long heavy = 0, n = 4000;
	double m;

	(void)state;
	wl_setting_defaults(&s, &sl_workload_skewed);
	wl_set(&s, "mean_cost", "1");
	wl_set(&s, "tasks", "4000");

	m = mean_steps(&s, n, &lo, &hi);
	assert_true(lo >= 500000 && hi < 1500000);
	assert_true(fabs(m - 1e6) < 0.03e6);

	wl_set(&s, "dist", "lognormal");
	m = mean_steps(&s, n, &lo, &hi);
	assert_true(fabs(m - 1e6) < 0.15e6);
	assert_true(hi > 5 * 1e6 && lo < 0.2e6);   /* sigma 1 over 4000 tasks: a wide spread */
	wl_set(&s, "sigma", "0");
	m = mean_steps(&s, n, &lo, &hi);
	assert_true(lo == 1000000 && hi == 1000000);

	wl_set(&s, "dist", "one-heavy");
	wl_set(&s, "heavy", "25");
	m = mean_steps(&s, n, &lo, &hi);
	assert_true(fabs(m - 1e6) < 1.0);
	assert_true(fabs((double)hi / (double)lo - 25) < 1e-4);
	for (long t = 0; t < n; t++)
		heavy += sl_skewed_task_steps(&s, t) == hi;
	assert_int_equal(heavy, 1);

	/* Same seed, same costs; another seed, other costs. */
	s2 = s;
	wl_set(&s2, "dist", "lognormal");
	wl_set(&s, "dist", "lognormal");
	assert_true(sl_skewed_task_steps(&s, 17) == sl_skewed_task_steps(&s2, 17));
	wl_set(&s, "sigma", "1");
	wl_set(&s2, "sigma", "1");
	wl_set(&s2, "seed", "2");
	assert_true(sl_skewed_task_steps(&s, 17) != sl_skewed_task_steps(&s2, 17));
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_params_sane),
		cmocka_unit_test(test_gemm_results),
		cmocka_unit_test(test_omp_gemm_results),
		cmocka_unit_test(test_gemm_check_catches_wrong_entry),
		cmocka_unit_test(test_gemm_checks_outside_the_task),
		cmocka_unit_test(test_gemm_threads_call),
		cmocka_unit_test(test_gemm_gpu_delegation),
		cmocka_unit_test(test_scalar),
		cmocka_unit_test(test_sleep),
		cmocka_unit_test(test_transfer),
		cmocka_unit_test(test_skewed_results),
		cmocka_unit_test(test_skewed_distributions),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
