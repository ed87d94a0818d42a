/* test_monitor_preflight.c: pre-flight checks (load, governor, cgroup quota, swap) and the progress line. */
#include <math.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>
#include <cmocka.h>

#include "sys/preflight.h"
#include "run/progress.h"
#include "core/speedlab.h"

static void good_facts(struct sl_preflight_facts *f)
{
	memset(f, 0, sizeof(*f));
	f->cpus = 8;
	f->cpus_online = 8;
	f->cpus_allowed = 8;
	f->load[0] = 0.4;
	f->load[1] = 0.3;
	f->load[2] = 0.2;
	f->ngovernors = 1;
	strcpy(f->governor[0], "performance");
	f->governor_cpus[0] = 8;
	f->cgroup_version = 2;
	strcpy(f->cgroup_cpu_max, "max 100000");
	f->quota_cpus = INFINITY;
	f->swap_used_mb = 0;
}

static size_t nwarnings(json_t *o)
{
	return json_array_size(json_object_get(o, "warnings"));
}

static const char *warning(json_t *o, size_t i)
{
	return json_string_value(json_array_get(json_object_get(o, "warnings"), i));
}

static void test_no_warnings_on_a_quiet_machine(void **state)
{
	struct sl_preflight_facts f;
	json_t *o;

	(void)state;
	good_facts(&f);
	o = sl_preflight_json(&f);
	assert_non_null(o);
	assert_int_equal(nwarnings(o), 0);
	assert_int_equal(json_integer_value(json_object_get(o, "cpus")), 8);
	assert_true(fabs(json_real_value(json_object_get(o, "load_per_cpu")) - 0.05) < 1e-12);
	assert_int_equal(json_integer_value(json_object_get(json_object_get(o, "governors"), "performance")), 8);
	assert_true(json_is_null(json_object_get(json_object_get(o, "cgroup"), "quota_cpus")));   /* unlimited */
	assert_string_equal(json_string_value(json_object_get(json_object_get(o, "cgroup"), "cpu_max")), "max 100000");
	json_decref(o);
}

static void test_each_warning(void **state)
{
	struct sl_preflight_facts f;
	json_t *o;

	(void)state;
	good_facts(&f);
	f.load[0] = 4.8;   /* 0.6 per CPU */
	o = sl_preflight_json(&f);
	assert_int_equal(nwarnings(o), 1);
	assert_non_null(strstr(warning(o, 0), "load average 4.80 on 8 logical CPUs (0.60 per CPU)"));
	json_decref(o);

	good_facts(&f);
	f.ngovernors = 2;
	strcpy(f.governor[1], "powersave");
	f.governor_cpus[0] = 6;
	f.governor_cpus[1] = 2;
	o = sl_preflight_json(&f);
	assert_int_equal(nwarnings(o), 1);
	assert_non_null(strstr(warning(o, 0), "governor 'powersave' on 2 CPUs, not 'performance'"));
	json_decref(o);

	good_facts(&f);
	f.quota_cpus = 1.5;
	o = sl_preflight_json(&f);
	assert_int_equal(nwarnings(o), 1);
	assert_non_null(strstr(warning(o, 0), "cgroup CPU quota of 1.5 CPUs is below the 8 logical CPUs"));
	json_decref(o);

	good_facts(&f);
	f.quota_cpus = 8;   /* equal: fine */
	f.swap_used_mb = 300;
	o = sl_preflight_json(&f);
	assert_int_equal(nwarnings(o), 1);
	assert_non_null(strstr(warning(o, 0), "300 MiB of swap in use"));
	json_decref(o);

	/* unknown facts are null and warn about nothing */
	good_facts(&f);
	f.load[0] = f.load[1] = f.load[2] = NAN;
	f.ngovernors = 0;
	f.quota_cpus = NAN;
	f.swap_used_mb = NAN;
	f.cgroup_version = 0;
	f.cgroup_cpu_max[0] = '\0';
	o = sl_preflight_json(&f);
	assert_int_equal(nwarnings(o), 0);
	assert_true(json_is_null(json_object_get(o, "swap_used_mb")));
	assert_true(json_is_null(json_array_get(json_object_get(o, "loadavg"), 0)));
	assert_true(json_is_null(json_object_get(json_object_get(o, "cgroup"), "version")));
	json_decref(o);
}

static void put(const char *path, const char *text)
{
	FILE *f = fopen(path, "w");

	assert_non_null(f);
	fputs(text, f);
	fclose(f);
}

static void test_cgroup_quota(void **state)
{
	char tmpl[] = "/tmp/sl-test-cgroup-XXXXXX", p[512], cg[512], mounts[512], raw[64], cmd[600];
	char *d = mkdtemp(tmpl);
	int version;
	double q;

	(void)state;
	assert_non_null(d);
	snprintf(cg, sizeof(cg), "%s/cgroup", d);
	snprintf(mounts, sizeof(mounts), "%s/mounts", d);

	/* v2, nested: the parent's limit is the effective one */
	snprintf(p, sizeof(p), "%s/v2/a/b", d);
	assert_int_equal(sl_mkdir_p(p), 0);
	put(cg, "0::/a/b\n");
	snprintf(p, sizeof(p), "cgroup2 %s/v2 cgroup2 rw,nosuid 0 0\nproc /proc proc rw 0 0\n", d);
	put(mounts, p);
	snprintf(p, sizeof(p), "%s/v2/a/b/cpu.max", d);
	put(p, "max 100000\n");
	snprintf(p, sizeof(p), "%s/v2/a/cpu.max", d);
	put(p, "150000 100000\n");
	q = sl_preflight_cgroup_quota(cg, mounts, &version, raw, sizeof(raw));
	assert_true(fabs(q - 1.5) < 1e-12);
	assert_int_equal(version, 2);
	assert_string_equal(raw, "150000 100000");
	snprintf(p, sizeof(p), "%s/v2/a/cpu.max", d);
	put(p, "max 100000\n");
	q = sl_preflight_cgroup_quota(cg, mounts, &version, raw, sizeof(raw));
	assert_true(isinf(q));

	/* v1 (a hybrid machine: the v2 mount has no cpu.max) */
	put(cg, "4:cpu,cpuacct:/grp\n0::/\n");
	snprintf(p, sizeof(p), "%s/v1/grp", d);
	assert_int_equal(sl_mkdir_p(p), 0);
	snprintf(p, sizeof(p), "%s/v2/empty", d);
	assert_int_equal(sl_mkdir_p(p), 0);
	snprintf(p, sizeof(p), "cgroup2 %s/v2/empty cgroup2 rw 0 0\ncgroup %s/v1 cgroup rw,cpu,cpuacct 0 0\n", d, d);
	put(mounts, p);
	snprintf(p, sizeof(p), "%s/v1/grp/cpu.cfs_quota_us", d);
	put(p, "50000\n");
	snprintf(p, sizeof(p), "%s/v1/grp/cpu.cfs_period_us", d);
	put(p, "100000\n");
	snprintf(p, sizeof(p), "%s/v1/cpu.cfs_quota_us", d);
	put(p, "-1\n");
	snprintf(p, sizeof(p), "%s/v1/cpu.cfs_period_us", d);
	put(p, "100000\n");
	q = sl_preflight_cgroup_quota(cg, mounts, &version, raw, sizeof(raw));
	assert_true(fabs(q - 0.5) < 1e-12);
	assert_int_equal(version, 1);
	assert_string_equal(raw, "50000 100000");

	/* no controller at all */
	put(mounts, "proc /proc proc rw 0 0\n");
	q = sl_preflight_cgroup_quota(cg, mounts, &version, raw, sizeof(raw));
	assert_true(isnan(q));
	assert_int_equal(version, 0);
	q = sl_preflight_cgroup_quota("/nonexistent", mounts, &version, raw, sizeof(raw));
	assert_true(isnan(q));

	snprintf(cmd, sizeof(cmd), "rm -rf '%s'", d);
	assert_int_equal(system(cmd), 0);
}

static void test_this_machine(void **state)
{
	json_t *o = sl_preflight();

	(void)state;
	assert_non_null(o);
	assert_int_equal(json_integer_value(json_object_get(o, "cpus")), sl_topology()->logical);
	assert_true(json_is_array(json_object_get(o, "warnings")));
	assert_int_equal(json_array_size(json_object_get(o, "loadavg")), 3);
	assert_true(json_is_object(json_object_get(o, "cgroup")));
	sl_preflight_warn(o);   /* whatever this machine has, printed as warnings */
	sl_preflight_warn(NULL);
	json_decref(o);
}

static void test_duration(void **state)
{
	char b[32];

	(void)state;
	sl_progress_duration(0, b, sizeof(b));
	assert_string_equal(b, "0s");
	sl_progress_duration(12.4, b, sizeof(b));
	assert_string_equal(b, "12s");
	sl_progress_duration(62, b, sizeof(b));
	assert_string_equal(b, "1m02s");
	sl_progress_duration(3 * 3600 + 4 * 60 + 59, b, sizeof(b));
	assert_string_equal(b, "3h04m");
	sl_progress_duration(NAN, b, sizeof(b));
	assert_string_equal(b, "0s");
}

static void test_progress_line(void **state)
{
	char *text = NULL;
	size_t len = 0;
	FILE *m;

	(void)state;
	/* quiet, or the runner's stderr (a file): every call is a no-op */
	sl_progress_start(10, true);
	sl_progress_step(1, 1, "P=1");
	sl_progress_clear();
	sl_progress_end();

	/* drawn into a memory stream as if it were a terminal; 62 s elapsed */
	m = open_memstream(&text, &len);
	sl_progress_start_to(m, 0, 4, 62);
	sl_progress_step(0, -1, "gemm P=1 threads=unset");
	sl_progress_step(1, -1, "gemm P=1 threads=unset");
	sl_progress_clear();
	sl_progress_step(2, 3, "gemm P=2 threads=unset");
	sl_progress_end();
	sl_progress_step(3, 3, "not drawn after the end");
	fclose(m);
	assert_string_equal(text,
			    "\r\033[Krun 0/4  warm-up  elapsed 1m02s  ETA ?  gemm P=1 threads=unset"
			    "\r\033[Krun 1/4  warm-up  elapsed 1m02s  ETA 3m06s  gemm P=1 threads=unset"
			    "\r\033[K"
			    "\r\033[Krun 2/4  rep 3  elapsed 1m02s  ETA 1m02s  gemm P=2 threads=unset"
			    "\r\033[K");
	free(text);

	/* a narrow terminal cuts the line instead of wrapping it */
	m = open_memstream(&text, &len);
	sl_progress_start_to(m, 24, 4, 0);
	sl_progress_step(4, 1, "a long label");
	sl_progress_end();
	fclose(m);
	assert_string_equal(text, "\r\033[Krun 4/4  rep 1  elapsed\r\033[K");
	free(text);
}

/* The ticker's thread has started when sl_progress_start returns: the first run forks its workers
 * right after, and a thread still in its start-up (AddressSanitizer's allocates under the
 * allocator's lock) left that lock held in a forked worker, which hung (it_pool, fork without a
 * parent library). Quiet: no ticker at all. */
static void test_progress_ticker_started(void **state)
{
	(void)state;
	sl_progress_start(3, true);
	assert_false(sl_progress_ticking());
	sl_progress_end();
	for (int i = 0; i < 20; i++) {
		sl_progress_start(3, false);
		assert_true(sl_progress_ticking());
		sl_progress_end();
		assert_false(sl_progress_ticking());
	}
}

static void test_progress_plain(void **state)
{
	char *text = NULL;
	size_t len = 0;
	FILE *m;

	(void)state;
	/* a log: plain lines, at most one per 10 s, one per finished configuration, a last one */
	m = open_memstream(&text, &len);
	sl_progress_start_plain_to(m, 2, 20, 10);
	sl_progress_name("exp");
	sl_progress_begin(0, 1, "P=1");          /* 20 s since the start: a line */
	sl_progress_step(1, 1, "P=1");           /* just printed: none */
	sl_progress_config_done(1, 2, "P=1");    /* always */
	sl_progress_begin(1, 1, "P=2");
	sl_progress_clear();                     /* nothing to erase in a log */
	sl_progress_step(2, 1, "P=2");
	sl_progress_end();
	fclose(m);
	assert_string_equal(text,
			    "speedlab: exp: run 1/2  rep 1  elapsed 20s  ETA ?  P=1\n"
			    "speedlab: exp: configuration 1/2 done  elapsed 20s  P=1\n"
			    "speedlab: exp: 2 of 2 run(s) done in 20s\n");
	free(text);

	/* while a run goes on, the line names it and says how long it has run; the ETA counts it */
	m = open_memstream(&text, &len);
	sl_progress_start_to(m, 0, 3, 40);
	sl_progress_name("");
	sl_progress_step(1, 1, "P=1");
	sl_progress_begin(1, 2, "P=2");
	sl_progress_end();
	fclose(m);
	assert_string_equal(text,
			    "\r\033[Krun 1/3  rep 1  elapsed 40s  ETA 1m20s  P=1"
			    "\r\033[Krun 2/3  rep 2  elapsed 40s  ETA 1m20s  P=2"
			    "\r\033[K");
	free(text);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_no_warnings_on_a_quiet_machine),
		cmocka_unit_test(test_each_warning),
		cmocka_unit_test(test_cgroup_quota),
		cmocka_unit_test(test_this_machine),
		cmocka_unit_test(test_duration),
		cmocka_unit_test(test_progress_line),
		cmocka_unit_test(test_progress_ticker_started),
		cmocka_unit_test(test_progress_plain),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
