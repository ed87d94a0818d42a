/* test_experiment.c: unit tests of experiment files: values, expansion, order, overrides, every error. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>
#include <errno.h>
#include <glob.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "experiment/cmdexp.h"
#include "analysis/compare.h"
#include "experiment/experiment.h"

static struct sl_experiment E;
static char err[4096];

/* Parse text with stderr captured into err; returns the parser's result. */
static int parse(const char *text, const char *profile, char **sets, int nsets)
{
	FILE *tmp = tmpfile();
	int saved = dup(2), rc;
	size_t n;

	fflush(stderr);
	dup2(fileno(tmp), 2);
	rc = sl_experiment_parse(&E, "t.ini", text, profile, sets, nsets);
	fflush(stderr);
	dup2(saved, 2);
	close(saved);
	rewind(tmp);
	n = fread(err, 1, sizeof(err) - 1, tmp);
	err[n] = '\0';
	fclose(tmp);
	return rc;
}

#define HEAD "[experiment]\nname = t\nquestion = q?\nworkload = empty\n"

static void expect_error(const char *text, const char *needle)
{
	int rc = parse(text, "", NULL, 0);

	if (rc == 0 || !strstr(err, needle))
		fail_msg("expected an error containing \"%s\", got rc %d and \"%s\"", needle, rc, err);
}

static void expect_set_error(const char *text, char *set, const char *needle)
{
	char *sets[] = { set };
	int rc = parse(text, "", sets, 1);

	if (rc == 0 || !strstr(err, needle))
		fail_msg("--set %s: expected an error containing \"%s\", got rc %d and \"%s\"", set, needle, rc, err);
}

static int expand(const char *expr, char out[][SL_VALUE_LEN])
{
	char msg[256];

	return sl_values_expand(expr, out, SL_MAX_VALUES, msg, sizeof(msg));
}

static void test_values(void **state)
{
	static char v[SL_MAX_VALUES][SL_VALUE_LEN];
	int cores = sl_topology()->logical;
	char buf[32];

	(void)state;
	assert_int_equal(expand("1, 2, 4", v), 3);
	assert_string_equal(v[2], "4");
	assert_int_equal(expand("1..4", v), 4);
	assert_string_equal(v[3], "4");
	assert_int_equal(expand("pow2(1..8)", v), 4);
	assert_string_equal(v[3], "8");
	assert_int_equal(expand("pow2(3..20)", v), 3);      /* 4, 8, 16 */
	assert_string_equal(v[0], "4");
	assert_int_equal(expand("2*cores", v), 1);
	snprintf(buf, sizeof(buf), "%d", 2 * cores);
	assert_string_equal(v[0], buf);
	assert_int_equal(expand("memory_gib", v), 1);
	snprintf(buf, sizeof(buf), "%d", (int)floor(sl_topology()->mem_gib));
	assert_string_equal(v[0], buf);
	assert_true(atoi(buf) >= 1);
	assert_int_equal(expand("(1+2)*3, 10/4", v), 2);
	assert_string_equal(v[0], "9");
	assert_string_equal(v[1], "2.5");
	assert_int_equal(expand("fork, spawn", v), 2);
	assert_string_equal(v[1], "spawn");
	assert_int_equal(expand("\"a, b\", c", v), 2);
	assert_string_equal(v[0], "a, b");
	assert_int_equal(expand("1..cores", v), cores);
	assert_int_equal(expand("pow2(1..2*cores)", v) >= 2, 1);
	assert_int_equal(expand("0.5", v), 1);
	assert_string_equal(v[0], "0.5");
	/* errors */
	assert_true(expand("1,,2", v) < 0);
	assert_true(expand("4..1", v) < 0);
	assert_true(expand("pow2(1..", v) < 0);
	assert_true(expand("pow2(4)", v) < 0);
	assert_true(expand("2*bogus", v) < 0);
	assert_true(expand("1/0", v) < 0);
	assert_true(expand("(1+2", v) < 0);
	assert_true(expand("\"open", v) < 0);
	assert_true(expand("1..100000", v) < 0);         /* more than SL_MAX_VALUES */
}

static void test_expansion_and_settings(void **state)
{
	struct sl_setting s;
	char msg[128];
	int cores = sl_topology()->logical;

	(void)state;
	assert_int_equal(parse(HEAD "[workload]\ntasks = 100\n[sweep]\nprocesses = 1, 2, 3\n"
				    "start_method = fork, spawn\nthreads = auto\nchunksize = auto\n", "", NULL, 0), 0);
	assert_int_equal(sl_experiment_nconfigs(&E), 6);
	assert_int_equal(sl_experiment_setting(&E, 0, &s, msg, sizeof(msg)), 0);
	assert_int_equal(s.processes, 1);
	assert_string_equal(s.start_method, "fork");
	/* the last axis varies fastest: config 1 is processes=1, start_method=spawn */
	assert_int_equal(sl_experiment_setting(&E, 1, &s, msg, sizeof(msg)), 0);
	assert_string_equal(s.start_method, "spawn");
	assert_int_equal(sl_experiment_setting(&E, 5, &s, msg, sizeof(msg)), 0);
	assert_int_equal(s.processes, 3);
	/* threads auto: logical CPUs / processes, at least 1 (joblib's rule) */
	assert_int_equal(s.threads_kind, SL_THREADS_AUTO);
	assert_int_equal(s.threads, cores / 3 > 0 ? cores / 3 : 1);
	/* chunksize auto: Python's ceil(N / (4 P)) = ceil(100 / 12) = 9 */
	assert_int_equal(s.chunksize, 9);
	assert_string_equal(s.chunksize_text, "auto");
	assert_int_equal((int)sl_setting_num(&s, "tasks", 0), 100);
	/* defaults of the standard axes */
	assert_string_equal(s.dispatch, "shm");
	assert_string_equal(s.blas, "pthread");
	assert_string_equal(s.thread_api, "env");
	assert_string_equal(s.parent_uses, "none");
	assert_true(sl_experiment_setting(&E, 6, &s, msg, sizeof(msg)) < 0);
	assert_int_equal(E.repeats, 5);
	assert_int_equal(E.warmup, 1);
}

static void test_continuation(void **state)
{
	(void)state;
	assert_int_equal(parse("[experiment]\nname = t\nquestion = a long question\n   that goes on\n"
			       "workload = empty\n[sweep]\nprocesses = 1,\n  2, 3\n", "", NULL, 0), 0);
	assert_string_equal(E.question, "a long question that goes on");
	assert_int_equal(sl_experiment_nconfigs(&E), 3);
}

static void test_duplicates_removed(void **state)
{
	(void)state;
	assert_int_equal(parse(HEAD "[sweep]\nprocesses = 1, 1, 2, 1\n", "", NULL, 0), 0);
	assert_int_equal(sl_experiment_nconfigs(&E), 2);
}

static void test_order(void **state)
{
	int a[50], b[50], c[50], seen[50] = { 0 };

	(void)state;
	assert_int_equal(parse(HEAD "seed = 42\n[sweep]\nprocesses = 1..50\n", "", NULL, 0), 0);
	assert_int_equal(sl_experiment_nconfigs(&E), 50);
	sl_experiment_order(&E, a, 50);
	sl_experiment_order(&E, b, 50);
	assert_memory_equal(a, b, sizeof(a));            /* seeded: the same order again */
	for (int i = 0; i < 50; i++)
		seen[a[i]]++;
	for (int i = 0; i < 50; i++)
		assert_int_equal(seen[i], 1);            /* a permutation */
	E.seed = 43;
	sl_experiment_order(&E, c, 50);
	assert_true(memcmp(a, c, sizeof(a)) != 0);       /* another seed, another order */
	{
		int inorder = 1;

		for (int i = 0; i < 50; i++)
			inorder &= a[i] == i;
		assert_false(inorder);                    /* randomised */
	}
}

static void test_profile_and_set(void **state)
{
	char *sets[] = { "processes=1..3", "experiment.repeats=7", "tasks=9" };
	char *bad[] = { "procs=2" };
	char *noeq[] = { "processes" };
	struct sl_setting s;
	char msg[64];

	(void)state;
	assert_int_equal(parse(HEAD "repeats = 5\n[workload]\ntasks = 100\n[sweep]\nprocesses = 1, 2\n"
				    "[quick]\nrepeats = 2\ntasks = 8\nprocesses = 1\n", "quick", NULL, 0), 0);
	assert_int_equal(E.repeats, 2);
	assert_int_equal(sl_experiment_nconfigs(&E), 1);
	sl_experiment_setting(&E, 0, &s, msg, sizeof(msg));
	assert_int_equal((int)sl_setting_num(&s, "tasks", 0), 8);
	/* no profile: the [quick] section does nothing */
	assert_int_equal(parse(HEAD "repeats = 5\n[sweep]\nprocesses = 1, 2\n[quick]\nrepeats = 2\n", "", NULL, 0), 0);
	assert_int_equal(E.repeats, 5);
	/* --set beats the profile */
	assert_int_equal(parse(HEAD "[sweep]\nprocesses = 1, 2\n[quick]\nrepeats = 2\n", "quick", sets, 3), 0);
	assert_int_equal(E.repeats, 7);
	assert_int_equal(sl_experiment_nconfigs(&E), 3);
	sl_experiment_setting(&E, 0, &s, msg, sizeof(msg));
	assert_int_equal((int)sl_setting_num(&s, "tasks", 0), 9);
	/* a list set on a parameter of [workload] becomes an axis */
	{
		char *l[] = { "tasks=1, 2" };

		assert_int_equal(parse(HEAD "[workload]\ntasks = 4\n", "", l, 1), 0);
		assert_int_equal(sl_experiment_nconfigs(&E), 2);
	}
	assert_true(parse(HEAD, "", bad, 1) < 0);
	assert_non_null(strstr(err, "--set: unknown key 'procs'"));
	assert_non_null(strstr(err, "did you mean 'processes'"));
	assert_true(parse(HEAD, "", noeq, 1) < 0);
	assert_non_null(strstr(err, "expected key=value"));
	assert_true(parse(HEAD, "medium", NULL, 0) < 0);
	assert_non_null(strstr(err, "unknown profile 'medium'"));
	/* a profile the file lacks: the defaults run, and a warning says so */
	assert_int_equal(parse(HEAD "repeats = 4\n[quick]\nrepeats = 2\n", "full", NULL, 0), 0);
	assert_int_equal(E.repeats, 4);
	assert_string_equal(err, "speedlab: warning: t.ini: no [full] section: --profile full changes nothing (the "
				 "values of [experiment] and [sweep] apply)\n");
	assert_int_equal(parse(HEAD "repeats = 4\n[quick]\nrepeats = 2\n", "quick", NULL, 0), 0);
	assert_string_equal(err, "");
}

/* A name that is not one word: one message, with a name that would do, and no "missing 'name'". */
static void test_name_error(void **state)
{
	(void)state;
	assert_true(parse("[experiment]\nname = my test\nquestion = q?\nworkload = empty\n", "", NULL, 0) < 0);
	assert_string_equal(err, "speedlab: t.ini:2: name = 'my test': must be a single word of at most 47 characters "
				 "(it names the result directory), e.g. name = my-test\n");
	assert_true(parse("[experiment]\nquestion = q?\nworkload = empty\n", "", NULL, 0) < 0);
	assert_string_equal(err, "speedlab: t.ini: missing 'name' in [experiment]\n");
}

/* Every bad input of issue 2 gives FILE:LINE and a message. */
/* The placement axes: every affinity value, cpus:EXPR evaluated, mem_policy, coordinator_cpus. */
static void test_placement_axes(void **state)
{
	struct sl_setting s;
	char msg[256], want[32];
	int ai = -1;

	(void)state;
	assert_int_equal(parse(HEAD "coordinator_cpus = 0\n[sweep]\naffinity = none, cpus:1, cpus:cores, core, compact, spread\n"
			       "mem_policy = default, local, interleave, bind\n", "", NULL, 0), 0);
	for (int i = 0; i < E.naxes; i++)
		if (strcmp(E.axes[i].name, "affinity") == 0)
			ai = i;
	assert_true(ai >= 0);
	assert_int_equal(E.axes[ai].nvalues, sl_topology()->logical == 1 ? 5 : 6);
	assert_string_equal(E.axes[ai].values[1], "cpus:1");
	snprintf(want, sizeof(want), "cpus:%d", sl_topology()->logical);
	assert_string_equal(E.axes[ai].values[sl_topology()->logical == 1 ? 1 : 2], want);
	assert_int_equal(sl_experiment_nconfigs(&E), (sl_topology()->logical == 1 ? 5 : 6) * 4);
	assert_int_equal(sl_experiment_setting(&E, 0, &s, msg, sizeof(msg)), 0);
	assert_string_equal(s.affinity, "none");
	assert_string_equal(s.mem_policy, "default");
	assert_string_equal(s.coordinator_cpus, "0");
	assert_string_equal(s.allowed_cpus, sl_topology()->allowed);
	/* the default: none and default, as before the axes existed */
	assert_int_equal(parse(HEAD, "", NULL, 0), 0);
	assert_int_equal(sl_experiment_setting(&E, 0, &s, msg, sizeof(msg)), 0);
	assert_string_equal(s.affinity, "none");
	assert_string_equal(s.mem_policy, "default");
	assert_string_equal(s.coordinator_cpus, "");
}

static void test_errors(void **state)
{
	(void)state;
	expect_error(HEAD "[sweeep]\nprocesses = 1\n", "t.ini:5: unknown section [sweeep] (did you mean [sweep]?)");
	expect_error(HEAD "[sweep]\nprocs = 1, 2\n", "t.ini:6: unknown key 'procs' in [sweep] (did you mean 'processes'?)");
	expect_error(HEAD "repeat = 3\n", "t.ini:5: unknown key 'repeat' in [experiment] (did you mean 'repeats'?)");
	expect_error(HEAD "[workload]\nprocesses = 2\n", "t.ini:6: key 'processes' does not belong in [workload] (it goes in [sweep])");
	expect_error(HEAD "repeats = three\n", "t.ini:5: repeats = 'three': expected a number");
	expect_error(HEAD "[workload]\ntasks = 1x\n", "t.ini:6: tasks: '1x' is not a number (unexpected 'x')");
	expect_error(HEAD "[sweep]\nprocesses =\n", "t.ini:6: processes: empty value in a list");
	/* a command line /bin/sh would refuse, refused when the experiment is read */
	expect_error("[experiment]\nname = t\nquestion = q?\nworkload = command\n[workload]\ncmd = echo \"x\n",
		     "t.ini:6: cmd: a quote is not closed in 'echo \"x'");
	expect_error("[experiment]\nname = t\nquestion = q?\nworkload = command\n[workload]\ncmd = echo \"a\\\"\n",
		     "a quote is not closed");
	assert_int_equal(parse("[experiment]\nname = t\nquestion = q?\nworkload = command\n[workload]\n"
			       "cmd = echo \"it's\" 'a\\' \\\" x#y # don't\n", "", NULL, 0), 0);
	expect_error(HEAD "[sweep]\nprocesses = 0\n", "t.ini:6: processes = 0: must be at least 1");
	expect_error(HEAD "[sweep]\nprocesses = 1, 0\n", "t.ini:6: processes = 0: must be at least 1");
	expect_error(HEAD "[sweep]\nchunksize = -4\n", "t.ini:6: negative chunk size -4");
	expect_error(HEAD "[sweep]\nchunksize = 1.5\n", "t.ini:6: chunksize = 1.5: must be a whole number");
	expect_error("[experiment]\nname = t\nquestion = q\nworkload = gemmm\n", "t.ini:4: unknown workload 'gemmm' (did you mean 'gemm'?)");
	expect_error("[experiment]\nname = t\nquestion = q\nworkload = nothing\n", "t.ini:4: unknown workload 'nothing'");
	expect_error(HEAD "[sweep]\nstart_method = forkk\n", "t.ini:6: unknown start method 'forkk' (did you mean 'fork'?)");
	expect_error(HEAD "[sweep]\nstart_method = fork, vfork\n", "t.ini:6: unknown start method 'vfork'");
	expect_error(HEAD "[sweep]\ndispatch = pipes\n", "t.ini:6: dispatch = 'pipes': expected one of pipe|batch|shm (did you mean 'pipe'?)");
	/* " ;" starts a libinih comment: a command cut short by it is refused, naming what was cut */
	expect_error("[experiment]\nname = t\nquestion = q?\nworkload = command\n[workload]\ncmd = cd /tmp ; sha256sum f\n",
		     "t.ini:6: cmd = 'cd /tmp': ' ;' starts a comment, so 'sha256sum f' after it was cut off");
	assert_int_equal(parse("[experiment]\nname = t\nquestion = q?\nworkload = command\nrepeats = 2 ; fine\n"
			       "[workload]\ncmd = cd /tmp; sha256sum f\n", "", NULL, 0), 0);
	expect_error("[experiment]\nname = t\nquestion = q?\nworkload = empty\nsample_hz = 0\n",
		     "t.ini:5: sample_hz = 0: the monitor cannot be turned off");
	expect_error(HEAD "[sweep]\nthreads = 0\n", "t.ini:6: threads = 0: must be at least 1");
	expect_error(HEAD "[sweep]\nthreads = many\n", "t.ini:6: threads = 'many': expected a whole number or unset|auto");
	expect_error(HEAD "[workload]\ntasks = 1, 2\n", "t.ini:6: 'tasks' has 2 values: a list of values belongs in [sweep]");
	expect_error(HEAD "[workload]\ntasks = 0\n", "t.ini:6: tasks = 0: out of range");
	expect_error(HEAD "name = u\n", "t.ini:5: duplicate key 'name' in [experiment] (first at line 2)");
	expect_error(HEAD "this is not ini\n", "t.ini:5: syntax error");
	expect_error("name = t\n", "t.ini:1: key 'name' outside any section");
	expect_error("[experiment]\nname = t\nworkload = empty\n", "t.ini: missing 'question' in [experiment]");
	expect_error("[experiment]\nquestion = q\nworkload = empty\n", "t.ini: missing 'name' in [experiment]");
	expect_error("[experiment]\nname = t\nquestion = q\n", "t.ini: missing 'workload' in [experiment]");
	expect_error("", "t.ini: empty experiment file");
	expect_error(HEAD "timeout = -1\n", "t.ini:5: timeout = -1: out of range");
	/* placement: more CPUs than this process may use, an unknown word, a CPU list out of reach */
	expect_error(HEAD "[sweep]\naffinity = none, cpus:99999\n", "t.ini:6: affinity = cpus:99999: this machine lets speedlab use");
	expect_error(HEAD "[sweep]\naffinity = cpus:0\n", "t.ini:6: affinity = 'cpus:0': cpus:N needs a whole number N of at least 1");
	expect_error(HEAD "[sweep]\naffinity = compat\n", "t.ini:6: affinity = 'compat': expected one of none, cpus:N, core, compact, spread (did you mean 'compact'?)");
	expect_error(HEAD "[sweep]\nmem_policy = interleaved\n", "t.ini:6: mem_policy = 'interleaved': expected one of default|local|interleave|bind");
	expect_error(HEAD "coordinator_cpus = 0-99999\n", "t.ini:5: coordinator_cpus = '0-99999': not within the CPUs this process may use");
	expect_error(HEAD "coordinator_cpus = last\n", "t.ini:5: coordinator_cpus = 'last': expected a CPU list");
	expect_error(HEAD "seed = -3\n", "t.ini:5: seed = '-3': expected a non-negative whole number");
	expect_error(HEAD "[sweep]\nprocesses = pow2(1..)\n", "t.ini:6: processes:");
	expect_error(HEAD "[quick]\nbogus = 1\n", "t.ini:6: unknown key 'bogus' in [quick]");
	expect_error(HEAD "[compare]\nthreshold.wal_s = 3\n", "t.ini:6: unknown key 'threshold.wal_s' in [compare]");
	expect_error(HEAD "[sweep]\nprocesses = 1..200\nchunksize = 1..200\nthreads = 1..4\n", "160000 configurations: too many");
	expect_error(HEAD "[mpi]\nbind = cores\n", "t.ini:6: bind = 'cores': expected one of none|core|hwthread|socket|numa (did you mean 'core'?)");
	expect_error(HEAD "[sweep]\nprocesses = 1, cores/0\n", "t.ini:6: processes: division by zero");
	{
		char text[1024];

		snprintf(text, sizeof(text), HEAD "[sweep]\nprocesses = 1, %0300d\n", 2);
		expect_error(text, "t.ini:6: line longer than");
	}
	{
		char text[1024];

		snprintf(text, sizeof(text), "[experiment]\nname = t\nquestion = q\nworkload = command\n"
			 "[workload]\ncmd = echo %0170d\n", 1);
		expect_error(text, "t.ini:6: cmd: value longer than 159 characters");
	}
	/* a parse that fails reports every problem, not only the first */
	assert_true(parse(HEAD "bogus1 = 1\nbogus2 = 2\n", "", NULL, 0) < 0);
	assert_non_null(strstr(err, "bogus1"));
	assert_non_null(strstr(err, "bogus2"));
}

static void test_files(void **state)
{
	char dir[] = "/tmp/sl-test-XXXXXX", path[64];
	FILE *f;

	(void)state;
	assert_non_null(mkdtemp(dir));
	fflush(stderr);
	assert_int_equal(sl_experiment_load(&E, "/nonexistent/x.ini", "", NULL, 0), -ENOENT);
	assert_int_equal(sl_experiment_load(&E, dir, "", NULL, 0), -EISDIR);
	snprintf(path, sizeof(path), "%s/ok.ini", dir);
	f = fopen(path, "w");
	assert_non_null(f);
	/* 18 per-metric thresholds (more than the 16 it once kept without a word), one of them speedup */
	fputs(HEAD "[compare]\nthreshold = 3\nthreshold.wall_s = 10\nthreshold.speedup = 4\n", f);
	for (size_t i = 0, k = 0; k < 16 && i < sl_metric_ncolumns; i++)
		if (strcmp(sl_metric_columns[i].name, "wall_s") != 0 && ++k)
			fprintf(f, "threshold.%s = %zu\n", sl_metric_columns[i].name, 20 + k);
	fputs("[mpi]\nhosts = a,b\n", f);
	fclose(f);
	assert_int_equal(sl_experiment_load(&E, path, "", NULL, 0), 0);
	assert_true(E.compare.threshold_pct == 3);
	assert_int_equal(E.compare.nthresholds, 18);
	assert_string_equal(E.compare.thresholds[0].metric, "wall_s");
	assert_true(sl_cmp_threshold(&E.compare, "speedup") == 4);
	assert_string_equal(E.mpi_hosts, "a,b");
	{
		struct sl_setting s;
		char msg[64];

		assert_int_equal(sl_experiment_setting(&E, 0, &s, msg, sizeof(msg)), 0);
		assert_string_equal(s.mpi_hosts, "a,b");      /* [mpi] reaches every setting */
	}
	/* the effective experiment written back parses to the same configurations and seed */
	{
		struct sl_experiment *copy = malloc(sizeof(*copy));
		unsigned long long seed = E.seed;
		long n = sl_experiment_nconfigs(&E);

		snprintf(path, sizeof(path), "%s/back.ini", dir);
		assert_int_equal(sl_experiment_write(&E, path), 0);
		assert_int_equal(sl_experiment_load(copy, path, "", NULL, 0), 0);
		assert_true(copy->seed == seed);
		assert_int_equal(sl_experiment_nconfigs(copy), n);
		assert_true(copy->compare.threshold_pct == 3);
		assert_int_equal(copy->compare.nthresholds, 18);   /* all of them written back */
		assert_true(sl_cmp_threshold(&copy->compare, "speedup") == 4);
		/* compare reads them through the same table */
		{
			struct sl_cmp_options o;

			sl_cmp_options_init(&o);
			assert_int_equal(sl_cmp_thresholds_load(&o, path), 0);
			assert_int_equal(o.nthresholds, 18);
			assert_true(sl_cmp_threshold(&o, "wall_s") == 10);
		}
		free(copy);
	}
	snprintf(path, sizeof(path), "rm -rf %s", dir);
	assert_int_equal(system(path), 0);
}

/* A text value in [workload] is taken as written, commas and all, or, one quoted string, without
 * its quotes as in [sweep]; the effective experiment written back reads back to the same text. */
static void test_quoted_text(void **state)
{
	static const char *const cases[][3] = {
		/* section, value as written, the command */
		{ "workload", "\"echo a, b\"", "echo a, b" },
		{ "workload", "'echo \"a\", b'", "echo \"a\", b" },
		{ "workload", "echo a, b", "echo a, b" },
		{ "workload", "\"a\" && \"b\"", "\"a\" && \"b\"" },   /* not one quoted string */
		{ "workload", "echo 'x'", "echo 'x'" },
		{ "sweep", "\"echo a, b\"", "echo a, b" },
		{ "sweep", "\"'x'\"", "'x'" },                          /* quotes of its own */
	};
	struct sl_experiment *copy = malloc(sizeof(*copy));
	char dir[] = "/tmp/sl-test-XXXXXX", path[64], text[256], msg[128];
	struct sl_setting s;

	(void)state;
	assert_non_null(copy);
	assert_non_null(mkdtemp(dir));
	snprintf(path, sizeof(path), "%s/back.ini", dir);
	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		snprintf(text, sizeof(text), "[experiment]\nname = t\nquestion = q?\nworkload = command\n[%s]\ncmd = %s\n",
			 cases[i][0], cases[i][1]);
		if (parse(text, "", NULL, 0) != 0)
			fail_msg("cmd = %s in [%s]: %s", cases[i][1], cases[i][0], err);
		assert_int_equal(sl_experiment_setting(&E, 0, &s, msg, sizeof(msg)), 0);
		assert_string_equal(sl_setting_text(&s, "cmd", ""), cases[i][2]);
		assert_int_equal(sl_experiment_write(&E, path), 0);
		assert_int_equal(sl_experiment_load(copy, path, "", NULL, 0), 0);
		assert_int_equal(sl_experiment_nconfigs(copy), 1);
		assert_int_equal(sl_experiment_setting(copy, 0, &s, msg, sizeof(msg)), 0);
		assert_string_equal(sl_setting_text(&s, "cmd", ""), cases[i][2]);
	}
	free(copy);
	snprintf(text, sizeof(text), "rm -rf %s", dir);
	assert_int_equal(system(text), 0);
}

/* Every shipped experiment, in every profile, written as the effective experiment.ini of a run
 * reads back whole: the same text, values and configurations (a run of it can be resumed). */
static void test_shipped_round_trip(void **state)
{
	static const char *const profiles[] = { "", "quick", "full" };
	struct sl_experiment *copy = malloc(sizeof(*copy));
	char dir[] = "/tmp/sl-test-XXXXXX", path[64], cmd[96];
	glob_t g;
	int checked = 0;

	(void)state;
	assert_non_null(copy);
	assert_non_null(mkdtemp(dir));
	snprintf(path, sizeof(path), "%s/experiment.ini", dir);
	assert_int_equal(glob("experiments/*.ini", 0, NULL, &g), 0);
	assert_int_equal(glob("experiments/seeds/*.ini", GLOB_APPEND, NULL, &g), 0);
	for (size_t i = 0; i < g.gl_pathc; i++)
		for (size_t k = 0; k < sizeof(profiles) / sizeof(profiles[0]); k++) {
			if (sl_experiment_load(&E, g.gl_pathv[i], profiles[k], NULL, 0) != 0)
				fail_msg("%s --profile '%s' does not load", g.gl_pathv[i], profiles[k]);
			if (sl_experiment_write(&E, path) != 0 || sl_experiment_load(copy, path, "", NULL, 0) != 0)
				fail_msg("%s --profile '%s': its experiment.ini does not read back", g.gl_pathv[i],
					 profiles[k]);
			assert_string_equal(copy->name, E.name);
			assert_string_equal(copy->question, E.question);
			assert_true(copy->seed == E.seed && copy->repeats == E.repeats && copy->warmup == E.warmup);
			assert_int_equal(copy->naxes, E.naxes);
			for (int a = 0; a < E.naxes; a++) {
				assert_string_equal(copy->axes[a].name, E.axes[a].name);
				assert_int_equal(copy->axes[a].nvalues, E.axes[a].nvalues);
				for (int v = 0; v < E.axes[a].nvalues; v++)
					assert_string_equal(copy->axes[a].values[v], E.axes[a].values[v]);
			}
			assert_int_equal(sl_experiment_nconfigs(copy), sl_experiment_nconfigs(&E));
			checked++;
		}
	assert_true(checked >= 3 * 20);
	globfree(&g);
	free(copy);
	snprintf(cmd, sizeof(cmd), "rm -rf %s", dir);
	assert_int_equal(system(cmd), 0);
}

/* A value longer than an INI line, in every section, is written on continuation lines and reads
 * back whole; a newline or control character is refused in every value, --set included. */
static void test_long_and_control_values(void **state)
{
	struct sl_experiment *copy = malloc(sizeof(*copy));
	char dir[] = "/tmp/sl-test-XXXXXX", path[64], text[2048], q[400], cmdline[160], set[200];
	char *sets[] = { set };
	int cut;

	(void)state;
	assert_non_null(copy);
	assert_non_null(mkdtemp(dir));
	snprintf(path, sizeof(path), "%s/experiment.ini", dir);
	memset(q, 0, sizeof(q));
	for (int i = 0; i < 30; i++)
		strcat(q, i % 2 ? "quite long " : "question: ");
	strcat(q, "?");
	memset(cmdline, 0, sizeof(cmdline));
	for (int i = 0; i < 14; i++)
		strcat(cmdline, "echo 12345;");
	cut = 170;
	while (q[cut] != ' ')
		cut--;
	snprintf(text, sizeof(text), "[experiment]\nname = t\nquestion = %.*s\n  %s\nworkload = command\n"
		 "[workload]\ncmd = %s\n[sweep]\nprocesses = 1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13, 14, 15, 16,\n"
		 "  17, 18, 19, 20, 21, 22, 23, 24, 25, 26, 27, 28, 29, 30, 31, 32, 33, 34, 35, 36, 37, 38, 39, 40,\n"
		 "  41, 42, 43, 44, 45, 46, 47, 48, 49, 50, 51, 52, 53, 54, 55, 56, 57, 58, 59, 60, 61, 62, 63, 64\n",
		 cut, q, q + cut + 1, cmdline);
	snprintf(set, sizeof(set), "parent_uses=none, openmp");
	if (parse(text, "", sets, 1) != 0)
		fail_msg("%s", err);
	assert_string_equal(E.question, q);
	assert_int_equal(sl_experiment_write(&E, path), 0);
	if (sl_experiment_load(copy, path, "", NULL, 0) != 0)
		fail_msg("a long question, command and list do not read back");
	assert_string_equal(copy->question, q);
	assert_int_equal(sl_experiment_nconfigs(copy), 64 * 2);
	for (int a = 0; a < E.naxes; a++)
		for (int v = 0; v < E.axes[a].nvalues; v++)
			assert_string_equal(copy->axes[a].values[v], E.axes[a].values[v]);
	/* an expanded list of 256 values (processes 1..cores on a large machine) reads back whole */
	if (parse(HEAD "[sweep]\nprocesses = 1..256\n", "", NULL, 0) != 0)
		fail_msg("%s", err);
	assert_int_equal(sl_experiment_write(&E, path), 0);
	if (sl_experiment_load(copy, path, "", NULL, 0) != 0)
		fail_msg("a list of 256 values does not read back");
	assert_int_equal(sl_experiment_nconfigs(copy), 256);
	/* a line longer than the INI reader takes (as experiment.ini was once written) reads whole */
	snprintf(text, sizeof(text), "[experiment]\nname = t\nquestion = %s\nworkload = empty\n[sweep]\n"
		 "processes = 1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13, 14, 15, 16, 17, 18, 19, 20, 21, 22, 23, 24, 25, "
		 "26, 27, 28, 29, 30, 31, 32, 33, 34, 35, 36, 37, 38, 39, 40, 41, 42, 43, 44, 45, 46, 47, 48, 49, 50, 51, "
		 "52, 53, 54, 55, 56, 57, 58, 59, 60, 61, 62, 63, 64 ; and a comment\n", q);
	if (parse(text, "", NULL, 0) != 0)
		fail_msg("%s", err);
	assert_string_equal(E.question, q);
	assert_int_equal(sl_experiment_nconfigs(&E), 64);
	/* control characters: in --set (a newline would end a line of the file and of a Slurm script) */
	snprintf(text, sizeof(text), HEAD);
	snprintf(set, sizeof(set), "question=two\nlines");
	expect_set_error(text, set, "control character");
	snprintf(set, sizeof(set), "name=a\rb");
	expect_set_error(text, set, "control character");
	snprintf(set, sizeof(set), "repeats=1\x1b[2J");
	expect_set_error(text, set, "control character");
	expect_error(HEAD "[compare]\nthreshold = 5\x01\n", "control character");
	free(copy);
	snprintf(text, sizeof(text), "rm -rf %s", dir);
	assert_int_equal(system(text), 0);
}

/* The device axis: a device the workload does not declare is refused where it is asked for (scalar on
 * device = gpu would run on the CPU under a GPU label); a workload that declares it takes it. */
static void test_device_declared(void **state)
{
	static const char scalar[] = "[experiment]\nname = t\nquestion = q\nworkload = scalar\n";
	static const char gemm[] = "[experiment]\nname = t\nquestion = q\nworkload = gemm\n[sweep]\ndevice = cpu, gpu\n";
	char set_gpu[] = "device=gpu", *sets[] = { set_gpu };

	(void)state;
	expect_error("[experiment]\nname = t\nquestion = q\nworkload = scalar\n[sweep]\ndevice = cpu, gpu\n",
		     "t.ini:6: device = gpu: workload 'scalar' runs on the CPU only (on a GPU: gemm,");
	assert_true(parse(scalar, "", sets, 1) < 0);
	assert_non_null(strstr(err, "--set: device = gpu: workload 'scalar'"));
	assert_int_equal(parse(scalar, "", NULL, 0), 0);
	assert_int_equal(parse(gemm, "", NULL, 0), 0);
	assert_int_equal(parse("[experiment]\nname = t\nquestion = q\nworkload = gpu_sync\n[sweep]\ndevice = gpu\n", "",
			       NULL, 0), 0);
}

/* --cmd: the experiment made from commands; its name, question and refusals. */
static void test_cmdexp(void **state)
{
	char name[SL_NAME_LEN], *text;
	char *one[] = { "VAR=1 /usr/bin/python3 -c 'print(1)'" };
	char *two[] = { "sleep 1", "sleep 2", "./bench.sh --fast" };
	char *semi[] = { "true ; true" };
	char *both[] = { "a", "echo \"it's\"" };
	char *sets[] = { "processes=1,2" };

	(void)state;
	sl_cmdexp_name(one, 1, name, sizeof(name));
	assert_string_equal(name, "cmd-python3");
	sl_cmdexp_name(two, 3, name, sizeof(name));
	assert_string_equal(name, "cmd-sleep-vs-bench.sh");
	text = sl_cmdexp_text(one, 1, sets, 1);
	assert_non_null(text);
	assert_non_null(strstr(text, "question = How long does `VAR=1 /usr/bin/python3 -c 'print(1)'` take, with "
				     "processes=1,2?\n"));
	assert_non_null(strstr(text, "\ncmd = VAR=1 /usr/bin/python3 -c 'print(1)'\n"));
	free(text);
	/* parsed back: one configuration per command, the commands verbatim */
	assert_int_equal(sl_cmdexp_load(&E, two, 3, "", NULL, 0), 0);
	assert_int_equal(sl_experiment_nconfigs(&E), 3);
	assert_int_equal(E.repeats, 10);
	assert_string_equal(E.question, "Which is fastest: `sleep 1`, `sleep 2` or `./bench.sh --fast`?");
	/* what experiment.ini could not hold is refused with one message */
	assert_null(sl_cmdexp_text(semi, 1, NULL, 0));
	assert_null(sl_cmdexp_text(both, 2, NULL, 0));
	assert_true(sl_cmdexp_load(&E, one, 1, "quick", NULL, 0) < 0);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_values),
		cmocka_unit_test(test_expansion_and_settings),
		cmocka_unit_test(test_duplicates_removed),
		cmocka_unit_test(test_continuation),
		cmocka_unit_test(test_order),
		cmocka_unit_test(test_profile_and_set),
		cmocka_unit_test(test_name_error),
		cmocka_unit_test(test_cmdexp),
		cmocka_unit_test(test_placement_axes),
		cmocka_unit_test(test_errors),
		cmocka_unit_test(test_files),
		cmocka_unit_test(test_quoted_text),
		cmocka_unit_test(test_shipped_round_trip),
		cmocka_unit_test(test_long_and_control_values),
		cmocka_unit_test(test_device_declared),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
