/* test_repeats.c: `repeats = auto`: the experiment keys, and when a configuration stops being
 * measured (its median's 95% order-statistic CI within precision, between min and max repeats). */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>
#include <errno.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "experiment/experiment.h"
#include "run/repeats.h"

static struct sl_experiment E;

#define HEAD "[experiment]\nname = t\nquestion = q?\nworkload = empty\n"

static void test_keys(void **state)
{
	char *sets[] = { "precision=1.5%" };

	(void)state;
	assert_int_equal(sl_experiment_parse(&E, "t.ini", HEAD "repeats = auto\nmin_repeats = 4\nmax_repeats = 12\n"
					     "precision = 3%\nprecision_metric = cpu_user_s\n", "", NULL, 0), 0);
	assert_true(E.repeats_auto);
	assert_int_equal(E.min_repeats, 4);
	assert_int_equal(E.max_repeats, 12);
	assert_int_equal(E.repeats, 12);   /* the rounds the run may take */
	assert_true(fabs(E.precision_pct - 3) < 1e-12);
	assert_string_equal(E.precision_metric, "cpu_user_s");
	/* defaults, and --set */
	assert_int_equal(sl_experiment_parse(&E, "t.ini", HEAD "repeats = auto\n", "", sets, 1), 0);
	assert_int_equal(E.min_repeats, 5);
	assert_int_equal(E.max_repeats, 20);
	assert_true(fabs(E.precision_pct - 1.5) < 1e-12);
	assert_string_equal(E.precision_metric, "wall_s");
	/* a fixed count is unchanged */
	assert_int_equal(sl_experiment_parse(&E, "t.ini", HEAD "repeats = 7\n", "", NULL, 0), 0);
	assert_false(E.repeats_auto);
	assert_int_equal(E.repeats, 7);
	/* errors */
	assert_int_equal(sl_experiment_parse(&E, "t.ini", HEAD "repeats = sometimes\n", "", NULL, 0), -EINVAL);
	assert_int_equal(sl_experiment_parse(&E, "t.ini", HEAD "repeats = auto\nmin_repeats = 9\nmax_repeats = 8\n", "",
					     NULL, 0), -EINVAL);
	assert_int_equal(sl_experiment_parse(&E, "t.ini", HEAD "repeats = auto\nprecision_metric = walls\n", "", NULL, 0),
			 -EINVAL);
	assert_int_equal(sl_experiment_parse(&E, "t.ini", HEAD "repeats = auto\nprecision = 0\n", "", NULL, 0), -EINVAL);
}

static void add(struct sl_repeats *r, long c, double wall, const char *status)
{
	struct sl_metrics m;

	memset(&m, 0, sizeof(m));
	m.wall_s = wall;
	snprintf(m.status, sizeof(m.status), "%s", status);
	sl_repeats_add(r, c, &m);
}

/* A quiet configuration stops at 6 (the fewest whose [min, max] reaches 95%); a noisy one goes on to
 * max_repeats; one that always fails stops at min_repeats. */
static void test_stopping(void **state)
{
	struct sl_repeats r;
	double noisy[] = { 1.0, 1.3, 0.8, 1.2, 0.9, 1.25, 0.85, 1.1, 0.95, 1.15 };
	double level;

	(void)state;
	assert_int_equal(sl_experiment_parse(&E, "t.ini", HEAD "repeats = auto\nmin_repeats = 5\nmax_repeats = 10\n"
					     "precision = 2\n", "", NULL, 0), 0);
	assert_int_equal(sl_repeats_init(&r, &E, 3), 0);
	for (int rep = 1; rep <= 10; rep++) {
		if (sl_repeats_wanted(&r, 0, rep))
			add(&r, 0, 1.0 + 0.001 * (rep % 3), "ok");
		if (sl_repeats_wanted(&r, 1, rep))
			add(&r, 1, noisy[rep - 1], "ok");
		if (sl_repeats_wanted(&r, 2, rep))
			add(&r, 2, NAN, "crash:SIGSEGV");
	}
	/* 5 values: [min, max] covers 93.75% only: not yet; 6 reach 96.9% and are within 0.2% */
	assert_int_equal(r.n[0], 6);
	assert_true(sl_repeats_precise(&r, 0));
	assert_true(sl_repeats_halfwidth(&r, 0, &level) < 0.3);
	assert_true(fabs(level - (1 - 2.0 / 64)) < 1e-12);
	assert_int_equal(r.n[1], 10);
	assert_false(sl_repeats_precise(&r, 1));
	assert_false(sl_repeats_wanted(&r, 1, 11));   /* max_repeats */
	assert_int_equal(r.n[2], 0);
	assert_int_equal(r.measured[2], 5);
	sl_repeats_free(&r);
}

/* --resume: the repetitions already in runs.csv count. */
static void test_load(void **state)
{
	char path[] = "/tmp/test_repeats_XXXXXX";
	int fd = mkstemp(path);
	FILE *f;
	struct sl_repeats r;

	(void)state;
	assert_true(fd >= 0);
	f = fdopen(fd, "w");
	fputs("config,rep,processes,wall_s,status\n0,-1,1,5,ok\n", f);
	for (int rep = 1; rep <= 6; rep++)
		fprintf(f, "0,%d,1,%g,ok\n1,%d,2,%g,ok\n", rep, 1.0 + 0.001 * rep, rep, rep % 2 ? 1.0 : 2.0);
	fclose(f);
	assert_int_equal(sl_experiment_parse(&E, "t.ini", HEAD "repeats = auto\n", "", NULL, 0), 0);
	assert_int_equal(sl_repeats_init(&r, &E, 2), 0);
	assert_int_equal(sl_repeats_load(&r, path), 0);
	unlink(path);
	assert_int_equal(r.n[0], 6);   /* the warm-up is not a repetition */
	assert_false(sl_repeats_wanted(&r, 0, 7));
	assert_true(sl_repeats_wanted(&r, 1, 7));
	sl_repeats_free(&r);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_keys),
		cmocka_unit_test(test_stopping),
		cmocka_unit_test(test_load),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
