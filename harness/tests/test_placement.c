/* test_placement.c: unit tests of the affinity and mem_policy axes (placement.c): every affinity value's
 * CPU sets on a fixed (synthetic) topology, the checks that refuse values that do not fit, the
 * OpenMP variables, and, in child processes, a real binding, a memory policy, and a binding the kernel
 * refuses. hwloc reads the synthetic topology (2 packages x 1024 cores x 2 hardware threads) but binds
 * on this system (HWLOC_THISSYSTEM), so CPU numbers past the machine's are refused by the kernel. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>
#include <errno.h>
#include <sched.h>
#include <stdlib.h>
#include <string.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <unistd.h>

#include "sys/placement.h"
#include "pool/pool.h"
#include "core/workload.h"

#define SYNTHETIC "pack:2 core:1024 pu:2"

static void setting(struct sl_setting *s, const char *affinity, const char *allowed, int processes)
{
	memset(s, 0, sizeof(*s));
	s->processes = processes;
	snprintf(s->affinity, sizeof(s->affinity), "%s", affinity);
	snprintf(s->allowed_cpus, sizeof(s->allowed_cpus), "%s", allowed);
	snprintf(s->mem_policy, sizeof(s->mem_policy), "default");
}

/* The CPU list worker id gets; "" when left alone, "error: ..." when refused. */
static const char *cpus_of(const char *affinity, const char *allowed, int id, int n)
{
	static char out[256];
	char msg[256];
	struct sl_setting s;
	int rc;

	setting(&s, affinity, allowed, n);
	rc = sl_placement_worker_cpus(&s, id, n, out, sizeof(out), msg, sizeof(msg));
	if (rc < 0)
		snprintf(out, sizeof(out), "error: %s", msg);
	return out;
}

static void test_worker_sets(void **state)
{
	(void)state;
	/* none: left where it starts */
	assert_string_equal(cpus_of("none", "0-7", 0, 2), "");
	/* cpus:N: the first N allowed CPUs for every worker, taskset's way */
	assert_string_equal(cpus_of("cpus:1", "0-7", 0, 2), "0");
	assert_string_equal(cpus_of("cpus:1", "0-7", 1, 2), "0");
	assert_string_equal(cpus_of("cpus:3", "0-7", 1, 2), "0-2");
	assert_string_equal(cpus_of("cpus:2", "4,6-9", 0, 1), "4,6");
	assert_non_null(strstr(cpus_of("cpus:9", "0-7", 0, 1), "error: affinity = cpus:9: only 8 CPUs allowed"));
	/* core: a whole core each (both hardware threads), round robin over the allowed cores */
	assert_string_equal(cpus_of("core", "0-7", 0, 5), "0-1");
	assert_string_equal(cpus_of("core", "0-7", 1, 5), "2-3");
	assert_string_equal(cpus_of("core", "0-7", 3, 5), "6-7");
	assert_string_equal(cpus_of("core", "0-7", 4, 5), "0-1");
	assert_string_equal(cpus_of("core", "1-4", 0, 2), "1");     /* only the allowed thread of core 0 */
	/* compact: one hardware thread each, SMT siblings first */
	assert_string_equal(cpus_of("compact", "0-7", 0, 3), "0");
	assert_string_equal(cpus_of("compact", "0-7", 1, 3), "1");
	assert_string_equal(cpus_of("compact", "0-7", 2, 3), "2");
	assert_string_equal(cpus_of("compact", "0-3", 5, 6), "1");
	/* spread: hwloc_distrib, across packages first, then cores */
	assert_string_equal(cpus_of("spread", "0-1,2048-2049", 0, 2), "0-1");
	assert_string_equal(cpus_of("spread", "0-1,2048-2049", 1, 2), "2048-2049");
	assert_string_equal(cpus_of("spread", "0-7", 0, 2), "0-3");
	assert_string_equal(cpus_of("spread", "0-7", 1, 2), "4-7");
	assert_string_equal(cpus_of("spread", "0-7", 3, 4), "6-7");
	assert_non_null(strstr(cpus_of("pinned", "0-7", 0, 1), "unknown affinity"));
}

static void test_coordinator_pinned(void **state)
{
	struct sl_setting s;
	char out[64], msg[256];

	(void)state;
	/* with the coordinator pinned, affinity none gives the workers back the sweep's CPUs */
	setting(&s, "none", "0-7", 2);
	snprintf(s.coordinator_cpus, sizeof(s.coordinator_cpus), "7");
	assert_int_equal(sl_placement_worker_cpus(&s, 1, 2, out, sizeof(out), msg, sizeof(msg)), 1);
	assert_string_equal(out, "0-7");
}

static void test_checks(void **state)
{
	int n = sl_topology()->logical;
	char value[32], msg[256];

	(void)state;
	assert_true(sl_placement_check("none", msg, sizeof(msg)));
	assert_true(sl_placement_check("core", msg, sizeof(msg)));
	assert_true(sl_placement_check("compact", msg, sizeof(msg)));
	assert_true(sl_placement_check("spread", msg, sizeof(msg)));
	assert_true(sl_placement_check("cpus:1", msg, sizeof(msg)));
	snprintf(value, sizeof(value), "cpus:%d", n);
	assert_true(sl_placement_check(value, msg, sizeof(msg)));
	/* more CPUs than this process may use: refused, naming how many it may */
	snprintf(value, sizeof(value), "cpus:%d", n + 1);
	assert_false(sl_placement_check(value, msg, sizeof(msg)));
	assert_non_null(strstr(msg, "this machine lets speedlab use"));
	assert_false(sl_placement_check("cpus:0", msg, sizeof(msg)));
	assert_non_null(strstr(msg, "at least 1"));
	assert_false(sl_placement_check("cpus:two", msg, sizeof(msg)));
	assert_false(sl_placement_check("compat", msg, sizeof(msg)));
	assert_non_null(strstr(msg, "did you mean 'compact'"));
	assert_true(sl_placement_check_cpus("0", msg, sizeof(msg)));
	assert_false(sl_placement_check_cpus("0-99999", msg, sizeof(msg)));
	assert_non_null(strstr(msg, "not within"));
	assert_false(sl_placement_check_cpus("first", msg, sizeof(msg)));
	assert_false(sl_placement_check_cpus("", msg, sizeof(msg)));
}

static void test_omp_variables(void **state)
{
	char places[256];
	const char *bind;

	(void)state;
	sl_placement_omp("core", "0-1,4", places, sizeof(places), &bind);
	assert_string_equal(places, "{0},{1},{4}");
	assert_string_equal(bind, "close");
	sl_placement_omp("spread", "2048-2049", places, sizeof(places), &bind);
	assert_string_equal(places, "{2048},{2049}");
	assert_string_equal(bind, "spread");
}

/* Run fn in a child (a binding must not change the test process); its exit code. */
static int in_child(int (*fn)(void))
{
	pid_t pid = fork();
	int status;

	if (pid == 0)
		_exit(fn());
	assert_true(pid > 0);
	assert_int_equal(waitpid(pid, &status, 0), pid);
	return WIFEXITED(status) ? WEXITSTATUS(status) : 100;
}

/* cpus:1 binds the process to its first allowed CPU and sets the OpenMP variables; mem_policy sets the policy. */
static int child_binds(void)
{
	struct sl_setting s;
	cpu_set_t set;
	char msg[256], allowed[32], places[32];
	int mode = -1, first = 0;

	/* the first CPU this process may use (a container's cpuset may leave out CPU 0) */
	if (sched_getaffinity(0, sizeof(set), &set) < 0)
		return 10;
	while (first < CPU_SETSIZE - 1 && !CPU_ISSET(first, &set))
		first++;
	snprintf(allowed, sizeof(allowed), "%d", first);
	snprintf(places, sizeof(places), "{%d}", first);
	setting(&s, "cpus:1", allowed, 2);
	snprintf(s.mem_policy, sizeof(s.mem_policy), "interleave");
	if (sl_placement_apply_worker(&s, 1, 2, msg, sizeof(msg)) != 0)
		return 1;
	if (sched_getaffinity(0, sizeof(set), &set) < 0 || CPU_COUNT(&set) != 1 || !CPU_ISSET(first, &set))
		return 2;
	if (!getenv("OMP_PLACES") || strcmp(getenv("OMP_PLACES"), places) != 0)
		return 3;
	if (!getenv("OMP_PROC_BIND") || strcmp(getenv("OMP_PROC_BIND"), "close") != 0)
		return 4;
	/* get_mempolicy: MPOL_INTERLEAVE is 3 */
	if (syscall(SYS_get_mempolicy, &mode, NULL, 0UL, NULL, 0UL) < 0 || mode != 3)
		return 5;
	snprintf(s.mem_policy, sizeof(s.mem_policy), "bind");
	if (sl_placement_apply_worker(&s, 0, 1, msg, sizeof(msg)) != 0)
		return 6;
	if (syscall(SYS_get_mempolicy, &mode, NULL, 0UL, NULL, 0UL) < 0 || mode != 2)   /* MPOL_BIND */
		return 7;
	snprintf(s.mem_policy, sizeof(s.mem_policy), "local");
	if (sl_placement_apply_worker(&s, 0, 1, msg, sizeof(msg)) != 0)
		return 8;
	if (syscall(SYS_get_mempolicy, &mode, NULL, 0UL, NULL, 0UL) < 0 || mode != 4)   /* MPOL_LOCAL */
		return 9;
	return 0;
}

/* CPUs 4000-4001 exist in the synthetic topology, not on this machine: the kernel refuses them. */
static int child_refused(void)
{
	struct sl_setting s;
	char msg[256];
	int rc;

	setting(&s, "core", "4000-4001", 1);
	rc = sl_placement_apply_worker(&s, 0, 1, msg, sizeof(msg));
	if (rc != -EINVAL)
		return 1;
	return strstr(msg, "the kernel refused to bind worker 0 to CPUs 4000-4001") ? 0 : 2;
}

static void test_apply(void **state)
{
	(void)state;
	assert_int_equal(in_child(child_binds), 0);
	if (sysconf(_SC_NPROCESSORS_CONF) > 4000)
		skip();
	assert_int_equal(in_child(child_refused), 0);
}

/* In the pool: a worker the kernel will not bind makes that run error:, and the next run is fine. */
static void test_pool_refused(void **state)
{
	const struct sl_workload_ops *w = sl_workload_find("empty");
	struct sl_run_opts o = { 0 };
	struct sl_setting s;
	struct sl_metrics m;
	cpu_set_t set;
	int first = 0;

	(void)state;
	if (sysconf(_SC_NPROCESSORS_CONF) > 4000)
		skip();
	assert_non_null(w);
	assert_int_equal(sched_getaffinity(0, sizeof(set), &set), 0);
	while (first < CPU_SETSIZE - 1 && !CPU_ISSET(first, &set))
		first++;
	setting(&s, "core", "", 2);
	/* worker 0 gets the first allowed CPU, worker 1 CPU 4000, which the synthetic topology has */
	snprintf(s.allowed_cpus, sizeof(s.allowed_cpus), "%d,4000", first);
	snprintf(s.start_method, sizeof(s.start_method), "fork");
	snprintf(s.dispatch, sizeof(s.dispatch), "pipe");
	snprintf(s.threads_text, sizeof(s.threads_text), "unset");
	snprintf(s.thread_api, sizeof(s.thread_api), "env");
	snprintf(s.workload, sizeof(s.workload), "empty");
	s.chunksize = 1;
	s.timeout_s = 60;
	s.nparams = 1;
	snprintf(s.params[0].name, sizeof(s.params[0].name), "tasks");
	snprintf(s.params[0].text, sizeof(s.params[0].text), "4");
	s.params[0].num = 4;
	assert_int_equal(sl_pool_run(&s, w, &o, &m), 0);
	if (!strstr(m.status, "error:") || !strstr(m.status, "the kernel refused to bind worker 1 to CPUs 4000"))
		fail_msg("status '%s'", m.status);
	snprintf(s.affinity, sizeof(s.affinity), "cpus:1");
	assert_int_equal(sl_pool_run(&s, w, &o, &m), 0);
	assert_string_equal(m.status, "ok");
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_worker_sets),
		cmocka_unit_test(test_coordinator_pinned),
		cmocka_unit_test(test_checks),
		cmocka_unit_test(test_omp_variables),
		cmocka_unit_test(test_apply),
		cmocka_unit_test(test_pool_refused),
	};

	setenv("HWLOC_SYNTHETIC", SYNTHETIC, 1);
	setenv("HWLOC_THISSYSTEM", "1", 1);
	return cmocka_run_group_tests(tests, NULL, NULL);
}
