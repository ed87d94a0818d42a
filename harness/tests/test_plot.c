/* test_plot.c: the registry of plot kinds: every kind is whole and named once, every kind a workload
 * lists in its ops exists and is a workload's own, and each kind applies to the results whose columns
 * and axes it needs (fixtures) and to no other. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <limits.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include "core/workload.h"
#include "plot/draw.h"

static const struct sl_plot_kind *kind_named(const char *name)
{
	for (int i = 0; sl_plot_kinds[i]; i++)
		if (strcmp(sl_plot_kinds[i]->name, name) == 0)
			return sl_plot_kinds[i];
	return NULL;
}

static void test_kinds_whole_and_unique(void **state)
{
	int n = 0;

	(void)state;
	for (int i = 0; sl_plot_kinds[i]; i++, n++) {
		const struct sl_plot_kind *k = sl_plot_kinds[i];

		assert_non_null(k->name);
		assert_non_null(k->applies);
		assert_non_null(k->draw);
		for (int j = 0; j < i; j++)
			assert_string_not_equal(sl_plot_kinds[j]->name, k->name);
	}
	assert_true(n >= 10);
}

/* A kind a workload lists exists and is marked as a workload's own; every such kind has a workload. */
static void test_workload_plots_registered(void **state)
{
	int listed = 0;

	(void)state;
	for (int w = 0; sl_workloads[w]; w++)
		for (const char *const *p = sl_workloads[w]->plots; p && *p; p++) {
			const struct sl_plot_kind *k = kind_named(*p);

			if (!k)
				fail_msg("workload %s lists plot kind '%s', which plot/ does not have", sl_workloads[w]->name,
					 *p);
			assert_true(k->flags & SL_PLOT_WORKLOAD);
			listed++;
		}
	for (int i = 0; sl_plot_kinds[i]; i++) {
		bool has = false;

		if (!(sl_plot_kinds[i]->flags & SL_PLOT_WORKLOAD))
			continue;
		for (int w = 0; sl_workloads[w] && !has; w++)
			for (const char *const *p = sl_workloads[w]->plots; p && *p && !has; p++)
				has = strcmp(*p, sl_plot_kinds[i]->name) == 0;
		if (!has)
			fail_msg("plot kind %s is a workload's own, but no workload lists it", sl_plot_kinds[i]->name);
	}
	assert_true(listed >= 4);
}

/* Which kinds apply to fixture dir's summary.csv: their names, space-separated, in registry order. */
static void applying(const char *dir, char *out, size_t len)
{
	char path[PATH_MAX];
	struct sl_plot_ctx pc = { .runs_config = -1, .runs_status = -1 };
	size_t n = 0;

	snprintf(path, sizeof(path), "harness/tests/fixtures/%s/summary.csv", dir);
	if (access(path, R_OK) != 0)
		snprintf(path, sizeof(path), "../../harness/tests/fixtures/%s/summary.csv", dir);
	assert_int_equal(sl_summary_view_load(path, &pc.v), 0);
	out[0] = '\0';
	for (int i = 0; sl_plot_kinds[i]; i++)
		if (sl_plot_kinds[i]->applies(&pc))
			n += (size_t)snprintf(out + n, len - n, "%s%s", n ? " " : "", sl_plot_kinds[i]->name);
	sl_summary_view_free(&pc.v);
}

static void test_kinds_apply_by_columns(void **state)
{
	char got[512];

	(void)state;
	applying("report-scaling", got, sizeof(got));   /* processes × threads */
	assert_string_equal(got, "scaling heatmap gpu_share timeline");
	applying("report-chunks", got, sizeof(got));    /* chunk size × dispatch */
	assert_string_equal(got, "chunksize timeline");
	applying("report-start", got, sizeof(got));     /* start method × parent memory */
	assert_string_equal(got, "start_latency start_safety timeline");
	/* gpu_share's columns are there (gflops, processes swept), but only a workload listing it draws it */
	assert_true(kind_named("gpu_share")->flags & SL_PLOT_WORKLOAD);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_kinds_whole_and_unique),
		cmocka_unit_test(test_workload_plots_registered),
		cmocka_unit_test(test_kinds_apply_by_columns),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
