/* test_changepoint.c: level shifts in history series (steps, drifts, flat noise) and the
 * history file: recording a run, reading it back strictly, the verdict per series. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "analysis/changepoint.h"
#include "analysis/compare_history.h"
#include "core/stats.h"

static void noisy(double *x, size_t n, double noise, uint64_t seed)
{
	struct sl_rng rng;

	sl_rng_seed(&rng, seed);
	for (size_t i = 0; i < n; i++)
		x[i] *= 1 + noise * sl_rng_normal(&rng);
}

static void test_step_found_where_it_is(void **state)
{
	struct sl_cp_options o;
	double x[30];
	size_t cp[8];
	int n;

	(void)state;
	sl_cp_options_init(&o);
	for (uint64_t seed = 1; seed <= 20; seed++) {
		for (int i = 0; i < 30; i++)
			x[i] = i < 15 ? 1.0 : 1.1;
		noisy(x, 30, 0.01, seed);
		n = sl_cp_detect(x, 30, &o, cp, 8);
		assert_true(n >= 1);
		assert_int_equal(cp[0], 15);
	}
}

static void test_flat_noise_has_no_step(void **state)
{
	struct sl_cp_options o;
	double x[30];
	size_t cp[8];
	int with_step = 0;

	(void)state;
	sl_cp_options_init(&o);
	for (uint64_t seed = 100; seed < 200; seed++) {
		for (int i = 0; i < 30; i++)
			x[i] = 1.0;
		noisy(x, 30, 0.02, seed);
		with_step += sl_cp_detect(x, 30, &o, cp, 8) > 0;
	}
	/* alpha = 0.01 per test: a handful of 100 flat series at most */
	assert_true(with_step <= 5);
}

static void test_edges(void **state)
{
	struct sl_cp_options o;
	double x[5] = { 1, 2, 3, 4, 5 }, bad[8] = { 1, 1, 1, 1, NAN, 2, 2, 2 }, same[12];
	size_t cp[4], at;

	(void)state;
	sl_cp_options_init(&o);
	assert_int_equal(sl_cp_detect(x, 5, &o, cp, 4), 0);         /* too short to split */
	assert_true(sl_cp_pettitt(x, 5, &o, 1, &at) == 1);
	assert_int_equal(sl_cp_detect(bad, 8, &o, cp, 4), -EINVAL);
	for (int i = 0; i < 12; i++)
		same[i] = 2.5;
	assert_int_equal(sl_cp_detect(same, 12, &o, cp, 4), 0);     /* all ties */
	assert_int_equal(sl_cp_detect(x, 0, &o, cp, 4), 0);
}

/* ---- history ---- */

static const char *const hist_header = SL_HISTORY_HEADER "\n";

/* A history text: one series of wall_s (and one of speedup, flat) over n runs. */
static char *gen_history(const double *wall, size_t n)
{
	char *buf = NULL;
	size_t len = 0;
	FILE *f = open_memstream(&buf, &len);

	fputs(hist_header, f);
	for (size_t i = 0; i < n; i++) {
		fprintf(f, "c%04zu,2024-01-01T00:%02zu:00Z,m1,synth,processes=2,wall_s,%.6g,%.6g,%.6g\n", i, i % 60, wall[i],
			wall[i] * 0.99, wall[i] * 1.01);
		fprintf(f, "c%04zu,2024-01-01T00:%02zu:00Z,m1,synth,processes=2,speedup,1.8,,\n", i, i % 60);
	}
	fclose(f);
	return buf;
}

static const struct sl_history_series *series_of(const struct sl_history *h, const char *metric)
{
	for (size_t i = 0; i < h->nseries; i++)
		if (strcmp(h->series[i].metric.name, metric) == 0)
			return &h->series[i];
	return NULL;
}

static void analyse(const double *wall, size_t n, struct sl_history *h)
{
	char *text = gen_history(wall, n);
	struct sl_cmp_options o;
	struct sl_cp_options cpo;

	sl_cmp_options_init(&o);
	sl_cp_options_init(&cpo);
	assert_int_equal(sl_history_parse(h, "history.csv", text, strlen(text)), 0);
	assert_int_equal(sl_history_analyse(h, 50, &o, &cpo), 0);
	free(text);
}

static void test_drift_is_caught(void **state)
{
	double wall[20];
	struct sl_history h;
	const struct sl_history_series *s;

	(void)state;
	/* +1% per commit over 20 commits, no single step beyond 1% */
	for (uint64_t seed = 1; seed <= 10; seed++) {
		for (int i = 0; i < 20; i++)
			wall[i] = pow(1.01, i);
		noisy(wall, 20, 0.003, seed);
		analyse(wall, 20, &h);
		s = series_of(&h, "wall_s");
		assert_non_null(s);
		assert_int_equal(s->n, 20);
		assert_true(s->analysed);
		assert_true(s->nsteps >= 1);
		assert_true(s->change_pct > 5);
		assert_int_equal(s->verdict, SL_VERDICT_REGRESSION);
		assert_int_equal(series_of(&h, "speedup")->verdict, SL_VERDICT_UNCHANGED);
		assert_int_equal(sl_history_exit_code(&h), 1);
		sl_history_free(&h);
	}
}

static void test_flat_history_is_quiet(void **state)
{
	double wall[30];
	struct sl_history h;

	(void)state;
	for (uint64_t seed = 1; seed <= 30; seed++) {
		for (int i = 0; i < 30; i++)
			wall[i] = 1.0;
		noisy(wall, 30, 0.01, seed + 500);
		analyse(wall, 30, &h);
		assert_int_equal(series_of(&h, "wall_s")->verdict, SL_VERDICT_UNCHANGED);
		assert_int_equal(sl_history_exit_code(&h), 0);
		sl_history_free(&h);
	}
}

static void test_step_and_window(void **state)
{
	double wall[60];
	struct sl_history h;
	struct sl_cmp_options o;
	struct sl_cp_options cpo;
	const struct sl_history_series *s;
	char *text;

	(void)state;
	for (int i = 0; i < 60; i++)
		wall[i] = i < 40 ? 1.0 : 0.8;   /* a 20% improvement at run 40 */
	noisy(wall, 60, 0.01, 77);
	analyse(wall, 60, &h);
	s = series_of(&h, "wall_s");
	assert_int_equal(s->first, 10);      /* the last 50 runs */
	assert_true(s->nsteps >= 1);
	assert_int_equal(s->steps[0], 40);
	assert_string_equal(s->pts[s->steps[0]].commit, "c0040");
	assert_int_equal(s->verdict, SL_VERDICT_IMPROVEMENT);
	assert_int_equal(sl_history_exit_code(&h), 0);
	/* a window that starts after the step sees nothing */
	sl_cmp_options_init(&o);
	sl_cp_options_init(&cpo);
	assert_int_equal(sl_history_analyse(&h, 15, &o, &cpo), 0);
	assert_int_equal(series_of(&h, "wall_s")->nsteps, 0);
	sl_history_free(&h);
	/* markdown and json of a regression */
	for (int i = 0; i < 60; i++)
		wall[i] = i < 40 ? 1.0 : 1.2;
	text = gen_history(wall, 60);
	assert_int_equal(sl_history_parse(&h, "h.csv", text, strlen(text)), 0);
	assert_int_equal(sl_history_analyse(&h, 50, &o, &cpo), 0);
	{
		char *md = NULL;
		size_t len = 0;
		FILE *f = open_memstream(&md, &len);
		json_t *j;

		sl_history_markdown(&h, f);
		fclose(f);
		assert_non_null(strstr(md, "**speedlab history: regression**"));
		assert_non_null(strstr(md, "c0040 2024-01-01T00:40 (1 → 1.2)"));
		free(md);
		j = sl_history_json(&h);
		assert_non_null(j);
		assert_string_equal(json_string_value(json_object_get(j, "verdict")), "regression");
		json_decref(j);
	}
	sl_history_free(&h);
	free(text);
}

static void test_bad_history(void **state)
{
	static const char *const bad[] = {
		"",
		"commit,date,machine,experiment,config,metric,value,ci_lo\n",
		"commit,date,machine,experiment,config,metric,value,ci_lo,ci_hi\nc,d,m,e,all,wall_s,nan,,\n",
		"commit,date,machine,experiment,config,metric,value,ci_lo,ci_hi\nc,d,m,e,all,wall_s,1e99,,\n",
		"commit,date,machine,experiment,config,metric,value,ci_lo,ci_hi\nc,d,m,e,all,wall,1,,\n",
		"commit,date,machine,experiment,config,metric,value,ci_lo,ci_hi\nc,d,m,e,all,wall_s,1,x,\n",
		"commit,date,machine,experiment,config,metric,value,ci_lo,ci_hi\n,d,m,e,all,wall_s,1,,\n",
		"commit,date,machine,experiment,config,metric,value,ci_lo,ci_hi\nc,d,m,e,all,wall_s,1,,\nc,d,m,e,all,wall_s,2,,\n",
		"commit,date,machine,experiment,config,metric,value,ci_lo,ci_hi\nc,d,m,e,all,wall_s,1,",
	};
	struct sl_history h;

	(void)state;
	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		int rc = sl_history_parse(&h, "h.csv", bad[i], strlen(bad[i]));

		if (rc != -EINVAL)
			fail_msg("bad history #%zu accepted (rc %d)", i, rc);
		assert_int_equal(h.nseries, 0);
	}
}

static void test_record_round_trip(void **state)
{
	static const char *const meta = "{\"fingerprint\": \"m1\", \"experiment\": {\"name\": \"synth\"}}";
	static const char *const runs =
		"config,rep,processes,wall_s,gflops,status\n"
		"0,0,1,1.0,10,ok\n1,0,2,0.55,18,ok\n0,1,1,1.02,9.8,ok\n1,1,2,0.56,17.9,ok\n0,2,1,0.99,10.1,ok\n1,2,2,0.54,18.2,ok\n";
	char dir[] = "/tmp/speedlab-test-history-XXXXXX", path[128];
	struct sl_cmp_run run;
	struct sl_cmp_options o;
	struct sl_history h;
	int rows;

	(void)state;
	assert_non_null(mkdtemp(dir));
	snprintf(path, sizeof(path), "%s/history.csv", dir);
	sl_cmp_options_init(&o);
	assert_int_equal(sl_cmp_run_parse(&run, "r", meta, strlen(meta), runs, strlen(runs)), 0);
	rows = sl_history_record(path, &run, &o, "abc123", "2024-01-01T00:00:00Z");
	/* wall_s and gflops for both configurations, speedup and efficiency for P = 2 */
	assert_int_equal(rows, 6);
	assert_int_equal(sl_history_record(path, &run, &o, "def456", ""), 6);
	assert_int_equal(sl_history_load(path, &h), 0);
	assert_int_equal(h.nseries, 6);
	for (size_t i = 0; i < h.nseries; i++) {
		assert_int_equal(h.series[i].n, 2);
		assert_int_equal(h.series[i].pts[1].run, 1);
	}
	{
		const struct sl_history_series *s = series_of(&h, "speedup");

		assert_non_null(s);
		assert_string_equal(s->config, "processes=2");
		assert_true(fabs(s->pts[0].value - 1.0 / 0.55) < 1e-3);
		assert_true(s->pts[0].ci_lo <= s->pts[0].value && s->pts[0].value <= s->pts[0].ci_hi);
	}
	/* plot data: one .dat per metric */
	{
		char pd[160];

		snprintf(pd, sizeof(pd), "%s/plots", dir);
		assert_int_equal(sl_history_plot_data(&h, pd), 4);
		snprintf(pd, sizeof(pd), "%s/plots/synth.wall_s.dat", dir);
		assert_int_equal(access(pd, R_OK), 0);
		snprintf(pd, sizeof(pd), "%s/plots/synth.wall_s.steps", dir);
		assert_int_equal(access(pd, R_OK), 0);
		unlink(pd);
		snprintf(pd, sizeof(pd), "%s/plots/synth.wall_s.dat", dir);
		unlink(pd);
		for (int k = 0; k < 3; k++) {
			static const char *const m[] = { "gflops", "speedup", "efficiency" };

			snprintf(pd, sizeof(pd), "%s/plots/synth.%s.dat", dir, m[k]);
			unlink(pd);
			snprintf(pd, sizeof(pd), "%s/plots/synth.%s.steps", dir, m[k]);
			unlink(pd);
		}
		snprintf(pd, sizeof(pd), "%s/plots", dir);
		rmdir(pd);
	}
	sl_history_free(&h);
	/* a file that is not a history is refused, not appended to */
	{
		FILE *f = fopen(path, "w");

		fputs("something,else\n", f);
		fclose(f);
		assert_int_equal(sl_history_record(path, &run, &o, "x", ""), -EINVAL);
		f = fopen(path, "w");
		fputs(SL_HISTORY_HEADER "\nc,d,m1,synth,all,wall_s,1,", f);   /* unfinished last line */
		fclose(f);
		assert_int_equal(sl_history_record(path, &run, &o, "x", ""), -EINVAL);
	}
	sl_cmp_run_free(&run);
	unlink(path);
	rmdir(dir);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_step_found_where_it_is),
		cmocka_unit_test(test_flat_noise_has_no_step),
		cmocka_unit_test(test_edges),
		cmocka_unit_test(test_drift_is_caught),
		cmocka_unit_test(test_flat_history_is_quiet),
		cmocka_unit_test(test_step_and_window),
		cmocka_unit_test(test_bad_history),
		cmocka_unit_test(test_record_round_trip),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
