/* test_gpu.c: the GPU workloads without a GPU: registration, skip paths, the CUDA probe, NVML, checks, metrics. */
#include <dlfcn.h>
#include <errno.h>
#include <math.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>
#include <cmocka.h>

#include "sys/cuda.h"
#include "sys/nvml.h"
#include "core/workload.h"
#include "sys/gpu.h"

/* this cmocka has no assert_double_equal */
#define assert_near(a, b, eps) assert_true(fabs((double)(a) - (double)(b)) <= (eps))

static const char *const gpu_workloads[] = { "gpu_gemm", "gpu_sync", "gpu_copy", "gpu_share", NULL };

static const struct sl_param_def *param(const struct sl_workload_ops *w, const char *name)
{
	for (const struct sl_param_def *p = w->params; p->name; p++)
		if (strcmp(p->name, name) == 0)
			return p;
	return NULL;
}

/* A setting with every parameter of w at its default, as the experiment parser would make it. */
static void default_setting(const struct sl_workload_ops *w, struct sl_setting *s)
{
	memset(s, 0, sizeof(*s));
	s->processes = 1;
	s->chunksize = 1;
	strcpy(s->device, "gpu");
	snprintf(s->workload, sizeof(s->workload), "%s", w->name);
	for (const struct sl_param_def *p = w->params; p->name; p++) {
		struct sl_param_value *v = &s->params[s->nparams++];
		double d;

		snprintf(v->name, sizeof(v->name), "%s", p->name);
		snprintf(v->text, sizeof(v->text), "%s", p->def);
		v->num = sl_parse_double(p->def, &d) ? d : NAN;
	}
}

static void test_registered_with_same_params(void **state)
{
	static const struct {
		const char *workload, *param, *choices;
	} want[] = {
		{ "gpu_gemm", "n", NULL },          { "gpu_gemm", "dtype", "float|double|bf16" },
		{ "gpu_gemm", "tasks", NULL },      { "gpu_gemm", "transfer", "none|both" },
		{ "gpu_gemm", "check_n", NULL },    { "gpu_share", "n", NULL },
		{ "gpu_share", "dtype", "float|double|bf16" },
		{ "gpu_share", "tasks", NULL },     { "gpu_sync", "mode", "spin|yield|blocking|auto" },
		{ "gpu_sync", "kernel_ms", NULL },  { "gpu_sync", "tasks", NULL },
		{ "gpu_copy", "memory", "pinned|pageable" },
		{ "gpu_copy", "direction", "h2d|d2h" },
		{ "gpu_copy", "mb", NULL },         { "gpu_copy", "tasks", NULL },
	};

	(void)state;
	for (size_t i = 0; i < sizeof(want) / sizeof(want[0]); i++) {
		const struct sl_workload_ops *w = sl_workload_find(want[i].workload);
		const struct sl_param_def *p;

		assert_non_null(w);
		p = param(w, want[i].param);
		assert_non_null(p);
		assert_non_null(p->def);
		assert_non_null(p->help);
		if (want[i].choices)
			assert_string_equal(p->choices, want[i].choices);
	}
	for (const char *const *n = gpu_workloads; *n; n++) {
		const struct sl_workload_ops *w = sl_workload_find(*n);

		assert_non_null(w->help);
		assert_null(strstr(w->help, "not yet built"));
		assert_non_null(w->supported);
	}
}

static void test_build_paths(void **state)
{
	(void)state;
	for (const char *const *n = gpu_workloads; *n; n++) {
		const struct sl_workload_ops *w = sl_workload_find(*n);

		if (sl_cuda_built()) {
			assert_null(w->unimplemented_reason);
			assert_non_null(w->setup);
			assert_non_null(w->run_task);
			assert_non_null(w->teardown);
			assert_non_null(w->verify);
			assert_non_null(w->metrics);
			assert_int_equal(w->task_out_bytes(NULL), sizeof(struct sl_gpu_task_out));
		} else {
			assert_non_null(w->unimplemented_reason);
			assert_string_equal(w->unimplemented_reason, "built without CUDA");
			assert_null(w->run_task);
		}
	}
}

/* No GPU: every GPU workload is skipped with the reason the user will read in runs.csv. */
static void test_skip_reason(void **state)
{
	int devices = sl_cuda_device_count();

	(void)state;
	assert_true(devices >= 0);
	for (const char *const *n = gpu_workloads; *n; n++) {
		const struct sl_workload_ops *w = sl_workload_find(*n);
		struct sl_setting s;
		char why[128] = "";
		bool ok;

		default_setting(w, &s);
		ok = w->supported(&s, why, sizeof(why));
		if (!sl_cuda_built()) {
			assert_false(ok);
			assert_string_equal(why, "built without CUDA");
		} else if (devices == 0) {
			assert_false(ok);
			assert_string_equal(why, "no CUDA device");
		} else {
			assert_true(ok);
		}
		/* `speedlab list` may ask without a setting */
		why[0] = '\0';
		assert_int_equal(w->supported(NULL, why, sizeof(why)), ok);
	}
}

/* The probe answers from a child process: no zombie left, and the answer is cached. */
static void test_probe(void **state)
{
	char buf[2048] = "";
	int status, count;

	(void)state;
	count = sl_cuda_device_count();
	assert_int_equal(sl_cuda_device_count(), count);
	assert_int_equal(sl_cuda_describe(buf, sizeof(buf)), count);
	assert_true(strlen(buf) > 0);
	if (!sl_cuda_built())
		assert_string_equal(buf, "built without CUDA");
	else if (count == 0)
		assert_non_null(strstr(buf, "no CUDA device"));
	errno = 0;
	assert_int_equal(waitpid(-1, &status, WNOHANG), -1);
	assert_int_equal(errno, ECHILD);
}

static void test_parent_init(void **state)
{
	char msg[256] = "";
	pid_t pid;
	int status;

	(void)state;
	if (!sl_cuda_built()) {
		assert_int_equal(sl_cuda_use("coordinator", msg, sizeof(msg)), -ENOSYS);
		assert_string_equal(msg, "built without CUDA");
		return;
	}
	if (sl_cuda_device_count() == 0) {
		assert_int_equal(sl_cuda_use("coordinator", msg, sizeof(msg)), -ENODEV);
		assert_string_equal(msg, "no CUDA device");
		return;
	}
	/* with a device: initialise in a child so this process stays free of CUDA */
	pid = fork();
	assert_true(pid >= 0);
	if (pid == 0)
		_exit(sl_cuda_use("coordinator", msg, sizeof(msg)) == 0 ? 0 : 1);
	assert_int_equal(waitpid(pid, &status, 0), pid);
	assert_true(WIFEXITED(status) && WEXITSTATUS(status) == 0);
}

/* Setup without a device (or without CUDA) fails cleanly with a message, leaving no state. */
static void test_setup_without_device(void **state)
{
	(void)state;
	if (sl_cuda_device_count() > 0)
		skip();
	for (const char *const *n = gpu_workloads; *n; n++) {
		const struct sl_workload_ops *w = sl_workload_find(*n);
		struct sl_setting s;
		struct sl_wctx ctx = { .setting = &s };
		char msg[256] = "";

		if (!w->setup)
			continue;
		default_setting(w, &s);
		assert_true(w->setup(&ctx, msg, sizeof(msg)) < 0);
		assert_true(strlen(msg) > 0);
		assert_null(ctx.state);
	}
	{
		struct sl_setting s;
		struct sl_wctx ctx = { .setting = &s };
		char msg[256] = "";

		/* gemm's device=gpu path calls these directly, with gemm's own parameters */
		memset(&s, 0, sizeof(s));
		s.nparams = 2;
		strcpy(s.params[0].name, "n");
		strcpy(s.params[0].text, "64");
		s.params[0].num = 64;
		strcpy(s.params[1].name, "dtype");
		strcpy(s.params[1].text, "double");
		s.params[1].num = NAN;
		assert_true(sl_gpu_gemm_setup(&ctx, msg, sizeof(msg)) < 0);
		assert_true(strlen(msg) > 0);
		assert_null(ctx.state);
		sl_gpu_gemm_teardown(&ctx);
		assert_true(sl_gpu_gemm_flops_per_task(&s) == 2.0 * 64 * 64 * 64);
	}
}

static void test_parse(void **state)
{
	enum sl_gpu_dtype d;
	enum sl_gpu_sync_mode m;

	(void)state;
	assert_true(sl_gpu_dtype_parse("float", &d) && d == SL_GPU_FLOAT);
	assert_true(sl_gpu_dtype_parse("double", &d) && d == SL_GPU_DOUBLE);
	assert_true(sl_gpu_dtype_parse("bf16", &d) && d == SL_GPU_BF16);
	assert_false(sl_gpu_dtype_parse("half", &d));
	assert_true(sl_gpu_sync_mode_parse("spin", &m) && m == SL_GPU_SYNC_SPIN);
	assert_true(sl_gpu_sync_mode_parse("yield", &m) && m == SL_GPU_SYNC_YIELD);
	assert_true(sl_gpu_sync_mode_parse("blocking", &m) && m == SL_GPU_SYNC_BLOCKING);
	assert_true(sl_gpu_sync_mode_parse("auto", &m) && m == SL_GPU_SYNC_AUTO);
	assert_false(sl_gpu_sync_mode_parse("Spin", &m));
}

/* The matrix entries: random small integers (not zeros), deterministic, a different stream per matrix. */
static void test_values(void **state)
{
	int seen[9] = { 0 }, same = 0;

	(void)state;
	for (uint64_t i = 0; i < 9000; i++) {
		int v = sl_gpu_value(SL_GPU_SEED, SL_GPU_STREAM_A, i);

		assert_true(v >= -4 && v <= 4);
		seen[v + 4]++;
		assert_int_equal(v, sl_gpu_value(SL_GPU_SEED, SL_GPU_STREAM_A, i));
		same += v == sl_gpu_value(SL_GPU_SEED, SL_GPU_STREAM_B, i);
	}
	for (int k = 0; k < 9; k++)
		assert_true(seen[k] > 800 && seen[k] < 1200);
	/* independent streams agree about 1 time in 9 */
	assert_true(same > 700 && same < 1300);
	assert_true(sl_gpu_word(0) != sl_gpu_word(1));
}

static void test_reference_check(void **state)
{
	const int n = 7;
	double c[49], exact;
	char msg[256] = "";

	(void)state;
	for (int i = 0; i < n; i++)
		for (int j = 0; j < n; j++) {
			double s = 0;

			for (int k = 0; k < n; k++)
				s += (double)sl_gpu_value(SL_GPU_SEED, SL_GPU_STREAM_A, (uint64_t)(i + k * n)) *
				     sl_gpu_value(SL_GPU_SEED, SL_GPU_STREAM_B, (uint64_t)(k + j * n));
			c[i + j * n] = s;
		}
	assert_int_equal(sl_gpu_gemm_reference_check(n, SL_GPU_SEED, c, 0, msg, sizeof(msg)), 0);
	exact = c[3 + 5 * n];
	c[3 + 5 * n] = exact + 1;
	assert_int_equal(sl_gpu_gemm_reference_check(n, SL_GPU_SEED, c, 0, msg, sizeof(msg)), -EINVAL);
	assert_non_null(strstr(msg, "C(3,5)"));
	/* off by 1 fails even at the float tolerance; off by 1e-9 passes it, but not double's exactness */
	assert_int_equal(sl_gpu_gemm_reference_check(n, SL_GPU_SEED, c, sl_gpu_gemm_tolerance(SL_GPU_FLOAT, n),
						     msg, sizeof(msg)), -EINVAL);
	c[3 + 5 * n] = exact + 1e-9;
	assert_int_equal(sl_gpu_gemm_reference_check(n, SL_GPU_SEED, c, sl_gpu_gemm_tolerance(SL_GPU_BF16, n),
						     msg, sizeof(msg)), 0);
	assert_int_equal(sl_gpu_gemm_reference_check(n, SL_GPU_SEED, c, sl_gpu_gemm_tolerance(SL_GPU_DOUBLE, n),
						     msg, sizeof(msg)), -EINVAL);
	c[3 + 5 * n] = exact;
	/* the transpose is wrong too (a row-major/column-major mix-up must not pass) */
	for (int i = 0; i < n; i++)
		for (int j = i + 1; j < n; j++) {
			double t = c[i + j * n];

			c[i + j * n] = c[j + i * n];
			c[j + i * n] = t;
		}
	assert_int_equal(sl_gpu_gemm_reference_check(n, SL_GPU_SEED, c, 0, msg, sizeof(msg)), -EINVAL);
}

static const struct sl_gpu_task_out gemm_outs[] = {
	/* checked, worker, t_start, t_end, device_s, cpu_s, flops, bytes */
	{ 1, 0, 0.0, 1.0, 0.9, 1.0, 1e9, 0 },
	{ 1, 0, 1.0, 2.0, 0.9, 0.5, 1e9, 0 },
	{ 1, 1, 0.5, 1.5, 0.5, 0.0, 1e9, 0 },
	{ 1, 1, 3.0, 4.0, 0.5, 0.5, 1e9, 0 },
};

static void test_summarise(void **state)
{
	struct sl_gpu_summary s;

	(void)state;
	assert_int_equal(sl_gpu_summarise(4, gemm_outs, &s), 0);
	assert_int_equal(s.unchecked, 0);
	assert_near(s.flops, 4e9, 1);
	assert_near(s.span_s, 3.0, 1e-12);     /* [0,2] and [3,4] */
	assert_near(s.busy_s, 4.0, 1e-12);
	assert_near(s.device_s, 2.8, 1e-12);
	/* worker 0: 2e9 / 1.8 s, worker 1: 2e9 / 1.0 s */
	assert_near(s.gflops_per_proc, (2.0 / 1.8 + 2.0) / 2, 1e-9);
	assert_int_equal(s.workers, 2);
	assert_near(s.wait_us_median, 0.3e6, 1e-3);
	assert_int_equal(sl_gpu_summarise(0, NULL, &s), 0);
	assert_true(isnan(s.gflops_per_proc));
}

static void test_metrics_and_verify(void **state)
{
	const struct sl_workload_ops *gemm = sl_workload_find("gpu_gemm");
	const struct sl_workload_ops *sync = sl_workload_find("gpu_sync");
	struct sl_gpu_task_out copy_outs[2] = {
		{ 1, 0, 0.0, 1.0, 0.5, 0.25, 0, 1e9 },
		{ 1, 0, 1.0, 2.0, 0.5, 0.25, 0, 1e9 },
	};
	struct sl_gpu_task_out bad[4];
	double results[4] = { 1, 2, 3, 4 };
	struct sl_metrics m;
	char msg[256] = "";

	(void)state;
	sl_metrics_clear(&m);
	sl_gpu_metrics(NULL, 4, results, gemm_outs, &m);
	assert_near(m.gflops, 4.0 / 3.0, 1e-9);
	assert_near(m.gflops_per_proc, (2.0 / 1.8 + 2.0) / 2, 1e-9);
	assert_near(m.host_cpu_pct, 50.0, 1e-9);
	assert_true(isnan(m.gbps));
	assert_true(isnan(m.gpu_wait_us));
	assert_true(isnan(m.wall_s));                   /* the pool's columns are left alone */
	/* one worker: its CUDA-event rate (2e9 flops in 1.8 s of events), not the host-clock span */
	sl_metrics_clear(&m);
	sl_gpu_metrics(NULL, 2, results, gemm_outs, &m);
	assert_near(m.gflops, 2.0 / 1.8, 1e-9);

	sl_metrics_clear(&m);
	sl_gpu_metrics(NULL, 2, results, copy_outs, &m);
	assert_near(m.gbps, 2.0, 1e-9);
	assert_true(isnan(m.gflops));
	assert_near(m.host_cpu_pct, 25.0, 1e-9);

	assert_int_equal(sl_gpu_verify(NULL, 4, results, gemm_outs, msg, sizeof(msg)), 0);
	memcpy(bad, gemm_outs, sizeof(bad));
	bad[2].checked = 0;
	assert_int_equal(sl_gpu_verify(NULL, 4, results, bad, msg, sizeof(msg)), -EINVAL);
	assert_non_null(strstr(msg, "task 2"));
	assert_int_equal(sl_gpu_verify(NULL, 4, results, NULL, msg, sizeof(msg)), -EINVAL);

	if (!sl_cuda_built())
		return;
	sl_metrics_clear(&m);
	gemm->metrics(NULL, 4, results, gemm_outs, &m);
	assert_near(m.gflops, 4.0 / 3.0, 1e-9);
	sl_metrics_clear(&m);
	sync->metrics(NULL, 4, results, gemm_outs, &m);
	assert_near(m.gpu_wait_us, 0.3e6, 1e-3);
	/* gpu_sync's kernel writes task + 1 */
	assert_int_equal(sync->verify(NULL, 4, results, gemm_outs, msg, sizeof(msg)), 0);
	results[1] = 7;
	assert_int_equal(sync->verify(NULL, 4, results, gemm_outs, msg, sizeof(msg)), -EINVAL);
	assert_non_null(strstr(msg, "task 1"));
}

static void test_nvml_absent(void **state)
{
	struct sl_gpu_sample s;
	void *real = dlopen("libnvidia-ml.so.1", RTLD_NOW | RTLD_LOCAL);

	(void)state;
	if (real) {
		dlclose(real);
		skip();          /* a machine with a driver: the fake-library test covers the code */
	}
	assert_false(sl_nvml_open());
	assert_int_equal(sl_nvml_count(), 0);
	assert_false(sl_nvml_sample(0, &s));
	sl_nvml_close();
	sl_nvml_close();
	assert_false(sl_nvml_open());
}

/* ---- a fake libnvidia-ml.so.1, loaded through the real dlopen path in a re-executed child ---- */

static const char fake_nvml_src[] =
	"struct u { unsigned gpu, memory; };\n"
	"struct m { unsigned long long total, free, used; };\n"
	"int nvmlInit_v2(void) { return 0; }\n"
	"int nvmlShutdown(void) { return 0; }\n"
	"int nvmlDeviceGetCount_v2(unsigned *c) { *c = 2; return 0; }\n"
	"int nvmlDeviceGetHandleByIndex_v2(unsigned i, void **d) {\n"
	"  if (i >= 2) return 2; *d = (void *)(unsigned long)(i + 1); return 0; }\n"
	"int nvmlDeviceGetUtilizationRates(void *d, struct u *u) {\n"
	"  u->gpu = 40 + (unsigned)(unsigned long)d; u->memory = 7; return 0; }\n"
	"int nvmlDeviceGetMemoryInfo(void *d, struct m *m) {\n"
	"  (void)d; m->total = 80ULL << 30; m->used = 1536ULL << 20; m->free = m->total - m->used; return 0; }\n"
	"#ifndef NO_CLOCK\n"
	"int nvmlDeviceGetClockInfo(void *d, int type, unsigned *mhz) {\n"
	"  (void)d; if (type != 1) return 2; *mhz = 1980; return 0; }\n"
	"#endif\n";

static int nvml_child(const char *kind)
{
	struct sl_gpu_sample s;

	if (strcmp(kind, "incomplete") == 0)
		return !sl_nvml_open() && sl_nvml_count() == 0 && !sl_nvml_sample(0, &s) ? 0 : 10;
	if (!sl_nvml_open() || !sl_nvml_open())
		return 11;
	if (sl_nvml_count() != 2)
		return 12;
	if (!sl_nvml_sample(1, &s) || s.util_pct != 42 || s.mem_used_mb != 1536 || s.sm_clock_mhz != 1980)
		return 13;
	if (!sl_nvml_sample(0, &s) || s.util_pct != 41)
		return 14;
	if (sl_nvml_sample(2, &s) || sl_nvml_sample(-1, &s))
		return 15;
	sl_nvml_close();
	if (sl_nvml_count() != 0 || sl_nvml_sample(0, &s))
		return 16;
	return 0;
}

static int run_child(const char *libdir, const char *kind)
{
	pid_t pid = fork();
	int status;

	if (pid < 0)
		return -1;
	if (pid == 0) {
		char *args[] = { (char *)"test_gpu", (char *)"--nvml-child", (char *)kind, NULL };

		setenv("LD_LIBRARY_PATH", libdir, 1);
		execv("/proc/self/exe", args);
		_exit(127);
	}
	if (waitpid(pid, &status, 0) != pid || !WIFEXITED(status))
		return -1;
	return WEXITSTATUS(status);
}

static void test_nvml_fake(void **state)
{
	char dir[] = "/tmp/test_gpu_nvml.XXXXXX", cmd[4096], src[64], good[64], bad[64];
	const char *cc = getenv("CC") && *getenv("CC") ? getenv("CC") : "cc";
	FILE *f;
	int rc_good, rc_bad;

	(void)state;
	assert_non_null(mkdtemp(dir));
	snprintf(src, sizeof(src), "%s/fake.c", dir);
	snprintf(good, sizeof(good), "%s/good", dir);
	snprintf(bad, sizeof(bad), "%s/incomplete", dir);
	f = fopen(src, "w");
	assert_non_null(f);
	fputs(fake_nvml_src, f);
	fclose(f);
	assert_true(strlen(cc) < 256);
	snprintf(cmd, sizeof(cmd),
		 "mkdir -p %s %s && %s -shared -fPIC -o %s/libnvidia-ml.so.1 %s && "
		 "%s -shared -fPIC -DNO_CLOCK -o %s/libnvidia-ml.so.1 %s",
		 good, bad, cc, good, src, cc, bad, src);
	if (system(cmd) != 0) {
		snprintf(cmd, sizeof(cmd), "rm -rf %s", dir);
		(void)system(cmd);
		skip();          /* no C compiler to build the fake library */
	}
	rc_good = run_child(good, "good");
	rc_bad = run_child(bad, "incomplete");
	snprintf(cmd, sizeof(cmd), "rm -rf %s", dir);
	assert_int_equal(system(cmd), 0);
	assert_int_equal(rc_good, 0);
	assert_int_equal(rc_bad, 0);
}

int main(int argc, char **argv)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_registered_with_same_params),
		cmocka_unit_test(test_build_paths),
		cmocka_unit_test(test_skip_reason),
		cmocka_unit_test(test_probe),
		cmocka_unit_test(test_parent_init),
		cmocka_unit_test(test_setup_without_device),
		cmocka_unit_test(test_parse),
		cmocka_unit_test(test_values),
		cmocka_unit_test(test_reference_check),
		cmocka_unit_test(test_summarise),
		cmocka_unit_test(test_metrics_and_verify),
		cmocka_unit_test(test_nvml_absent),
		cmocka_unit_test(test_nvml_fake),
	};

	if (argc == 3 && strcmp(argv[1], "--nvml-child") == 0)
		return nvml_child(argv[2]);
	return cmocka_run_group_tests(tests, NULL, NULL);
}
