/* test_compare.c: the regression verdict on synthetic, seeded samples and result directories,
 * including the untrusted-input errors. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "analysis/compare.h"
#include "core/stats.h"

/* n samples around mean with relative noise, seeded. */
static void sample(double *x, size_t n, double mean, double noise, uint64_t seed)
{
	struct sl_rng rng;

	sl_rng_seed(&rng, seed);
	for (size_t i = 0; i < n; i++)
		x[i] = mean * (1 + noise * sl_rng_normal(&rng));
}

static struct sl_cmp_row row_for(const char *metric, const double *b, size_t nb, const double *c, size_t nc)
{
	struct sl_cmp_options o;
	struct sl_cmp_row row;

	sl_cmp_options_init(&o);
	memset(&row, 0, sizeof(row));
	assert_int_equal(sl_cmp_metric_lookup(metric, &row.metric), 0);
	sl_cmp_samples(b, nb, c, nc, sl_cmp_threshold(&o, metric), &o, 42, &row);
	return row;
}

static void test_identical_unchanged(void **state)
{
	double b[10], c[10];
	struct sl_cmp_row row;

	(void)state;
	sample(b, 10, 1.0, 0.01, 1);
	memcpy(c, b, sizeof(b));
	row = row_for("wall_s", b, 10, c, 10);
	assert_int_equal(row.verdict, SL_VERDICT_UNCHANGED);
	assert_false(row.significant);
	assert_true(fabs(row.change_pct) < 1e-9);
	/* the same distribution, other draws */
	for (uint64_t seed = 2; seed < 40; seed++) {
		sample(c, 10, 1.0, 0.01, seed);
		row = row_for("wall_s", b, 10, c, 10);
		assert_int_equal(row.verdict, SL_VERDICT_UNCHANGED);
	}
}

static void test_slowdown_regression(void **state)
{
	double b[10], c[10];
	struct sl_cmp_row row;

	(void)state;
	sample(b, 10, 1.0, 0.01, 3);
	sample(c, 10, 1.1, 0.01, 4);
	row = row_for("wall_s", b, 10, c, 10);
	assert_int_equal(row.verdict, SL_VERDICT_REGRESSION);
	assert_false(row.ci_test);
	assert_true(row.p < 0.01);
	assert_true(row.change_pct > 8 && row.change_pct < 12);
	assert_true(row.change_lo_pct > 5 && row.change_hi_pct < 15);
	/* the same change is an improvement where higher is worse... */
	row = row_for("wall_s", c, 10, b, 10);
	assert_int_equal(row.verdict, SL_VERDICT_IMPROVEMENT);
	/* ...and a regression for a higher-is-better metric going down */
	row = row_for("gflops", c, 10, b, 10);
	assert_int_equal(row.verdict, SL_VERDICT_REGRESSION);
	/* a metric without a better direction only says "changed" */
	row = row_for("cores_busy", b, 10, c, 10);
	assert_int_equal(row.verdict, SL_VERDICT_CHANGED);
}

static void test_small_noise_unchanged(void **state)
{
	double b[10], c[10];
	struct sl_cmp_row row;

	(void)state;
	for (uint64_t seed = 10; seed < 50; seed++) {
		sample(b, 10, 1.0, 0.01, seed);
		sample(c, 10, 1.01, 0.01, seed + 1000);   /* a real 1% shift: below the threshold */
		row = row_for("wall_s", b, 10, c, 10);
		assert_int_equal(row.verdict, SL_VERDICT_UNCHANGED);
	}
}

static void test_three_reps(void **state)
{
	/* separated: every current repetition is slower than every base one */
	double b1[3] = { 1.00, 1.01, 0.99 }, c1[3] = { 1.10, 1.11, 1.09 };
	/* overlapping, the medians 10% apart all the same */
	double b2[3] = { 0.90, 1.00, 1.15 }, c2[3] = { 0.95, 1.10, 1.20 };
	double b3[2] = { 1.0, 1.0 }, c3[2] = { 2.0, 2.0 };
	struct sl_cmp_row row;

	(void)state;
	row = row_for("wall_s", b1, 3, c1, 3);
	assert_true(row.ci_test);
	assert_true(row.significant);
	assert_int_equal(row.verdict, SL_VERDICT_REGRESSION);
	row = row_for("wall_s", b2, 3, c2, 3);
	assert_true(row.ci_test);
	assert_false(row.significant);
	assert_true(row.change_pct > 9 && row.change_pct < 11);
	assert_int_equal(row.verdict, SL_VERDICT_INCONCLUSIVE);
	/* two repetitions never decide, however far apart */
	row = row_for("wall_s", b3, 2, c3, 2);
	assert_int_equal(row.verdict, SL_VERDICT_INCONCLUSIVE);
	/* a separated change below the threshold is unchanged */
	{
		double c4[3] = { 1.02, 1.03, 1.025 };

		row = row_for("wall_s", b1, 3, c4, 3);
		assert_true(row.significant);
		assert_int_equal(row.verdict, SL_VERDICT_UNCHANGED);
	}
}

static void test_noisy_inconclusive(void **state)
{
	double b[10], c[10];
	struct sl_cmp_row row;

	(void)state;
	sample(b, 10, 1.0, 0.3, 7);
	sample(c, 10, 1.0, 0.3, 8);
	row = row_for("wall_s", b, 10, c, 10);
	/* 30% noise: no significant change, and a CI far wider than 5% */
	assert_false(row.significant);
	assert_int_equal(row.verdict, SL_VERDICT_INCONCLUSIVE);
}

static void test_speedup_rows(void **state)
{
	double t1b[10], tpb[10], t1c[10], tpc[10];
	int reps[10];
	struct sl_cmp_options o;
	struct sl_cmp_row row;

	(void)state;
	for (int i = 0; i < 10; i++)
		reps[i] = i;
	sl_cmp_options_init(&o);
	sample(t1b, 10, 1.0, 0.01, 1);
	sample(tpb, 10, 0.25, 0.01, 2);
	sample(t1c, 10, 1.0, 0.01, 3);
	sample(tpc, 10, 0.30, 0.01, 4);   /* P = 4 got 20% slower: speedup 4 -> 3.33 */
	memset(&row, 0, sizeof(row));
	assert_int_equal(sl_cmp_metric_lookup("speedup", &row.metric), 0);
	sl_cmp_speedup(t1b, reps, 10, tpb, reps, 10, t1c, reps, 10, tpc, reps, 10, 1, 5, &o, 9, &row);
	assert_int_equal(row.verdict, SL_VERDICT_REGRESSION);
	assert_true(fabs(row.base.median - 4) < 0.2);
	assert_true(row.change_pct < -12 && row.change_pct > -22);
	assert_true(row.change_hi_pct < 0);
	assert_int_equal(row.base.n, 10);
	/* efficiency: the same change, scaled by P */
	assert_int_equal(sl_cmp_metric_lookup("efficiency", &row.metric), 0);
	sl_cmp_speedup(t1b, reps, 10, tpb, reps, 10, t1c, reps, 10, tpc, reps, 10, 4, 5, &o, 9, &row);
	assert_int_equal(row.verdict, SL_VERDICT_REGRESSION);
	assert_true(fabs(row.base.median - 1) < 0.05);
	/* unchanged when only the noise differs */
	sample(tpc, 10, 0.25, 0.01, 5);
	sl_cmp_speedup(t1b, reps, 10, tpb, reps, 10, t1c, reps, 10, tpc, reps, 10, 1, 5, &o, 9, &row);
	assert_int_equal(row.verdict, SL_VERDICT_UNCHANGED);
}

/* ---- result directories in memory ---- */

static const char *const header =
	"config,rep,workload,processes,n,wall_s,cpu_user_s,cpu_sys_s,cores_busy,threads_peak,threads_total_peak,"
	"ctx_vol,ctx_invol,rss_peak_mb,start_latency_ms,dispatch_us_per_task,gflops,gpu_util_pct,gpu_mem_mb,"
	"threads_lib,pool_start_ms,pool_stop_ms,imbalance,monitor_cpu_pct,status\n";

/* runs.csv with processes 1, 2, 4 (wall time Amdahl-like times scale), reps each plus a warm-up. */
static char *gen_runs(int reps, double scale, double noise, uint64_t seed, const char *n, const char *last_status)
{
	char *buf = NULL;
	size_t len = 0;
	FILE *f = open_memstream(&buf, &len);
	static const int procs[3] = { 1, 2, 4 };
	struct sl_rng rng;

	sl_rng_seed(&rng, seed);
	fputs(header, f);
	for (int r = -1; r < reps; r++)
		for (int c = 0; c < 3; c++) {
			int p = procs[c];
			double w = scale * (0.2 + 0.8 / p) * (1 + noise * sl_rng_normal(&rng)) * (r < 0 ? 5 : 1);

			fprintf(f, "%d,%d,scalar,%d,%s,%.6g,%.6g,0.01,%.6g,1,%d,10,5,40,%.6g,%.6g,%.6g,,,1,4,2,1.05,0.5,%s\n",
				c, r, p, n, w, w * p, 0.9 * p * (1 + noise * sl_rng_normal(&rng)), p + 1,
				3 * (1 + noise * sl_rng_normal(&rng)), 50 * (1 + noise * sl_rng_normal(&rng)), 100 / w,
				r == reps - 1 && p == 4 ? last_status : "ok");
		}
	fclose(f);
	return buf;
}

static char *gen_meta(const char *exp, const char *fp)
{
	char *s = NULL;

	assert_true(asprintf(&s, "{\"fingerprint\": \"%s\", \"experiment\": {\"name\": \"%s\"}, \"git_commit\": \"abc\"}",
			     fp, exp) > 0);
	return s;
}

static int parse(struct sl_cmp_run *r, const char *dir, const char *meta, const char *runs)
{
	return sl_cmp_run_parse(r, dir, meta, strlen(meta), runs, strlen(runs));
}

static void load_pair(struct sl_cmp_run *a, struct sl_cmp_run *b, double scale_b, const char *exp_b, const char *fp_b,
		      const char *n_b, const char *status_b)
{
	char *ma = gen_meta("synth", "m1"), *mb = gen_meta(exp_b, fp_b);
	char *ra = gen_runs(10, 1, 0.01, 1, "256", "ok"), *rb = gen_runs(10, scale_b, 0.01, 2, n_b, status_b);

	assert_int_equal(parse(a, "base", ma, ra), 0);
	assert_int_equal(parse(b, "cur", mb, rb), 0);
	free(ma);
	free(mb);
	free(ra);
	free(rb);
}

static size_t count_metric(const struct sl_cmp_result *res, const char *metric)
{
	size_t n = 0;

	for (size_t i = 0; i < res->nrows; i++)
		n += strcmp(res->rows[i].metric.name, metric) == 0;
	return n;
}

static void test_load_and_compare(void **state)
{
	struct sl_cmp_run a, b;
	struct sl_cmp_options o;
	struct sl_cmp_result res;
	json_t *j;

	(void)state;
	sl_cmp_options_init(&o);
	load_pair(&a, &b, 1, "synth", "m1", "256", "ok");
	assert_int_equal(a.nconfigs, 3);
	assert_int_equal(a.configs[0].nok, 10);   /* warm-up ignored */
	assert_int_equal(a.configs[2].one_process, 0);
	assert_string_equal(a.commit, "abc");
	assert_int_equal(sl_cmp_compare(&a, &b, &o, &res), 0);
	assert_int_equal(res.nlabels, 3);
	assert_string_equal(res.labels[1], "processes=2");
	assert_int_equal(res.counts[SL_VERDICT_REGRESSION], 0);
	assert_int_equal(sl_cmp_exit_code(&res), 0);
	assert_int_equal(count_metric(&res, "speedup"), 2);      /* P = 2 and 4 */
	assert_int_equal(count_metric(&res, "wall_s"), 3);
	assert_int_equal(count_metric(&res, "gpu_util_pct"), 0);   /* not compared by default */
	j = sl_cmp_json(&res);
	assert_non_null(j);
	assert_string_equal(json_string_value(json_object_get(j, "verdict")), sl_verdict_name(res.overall));
	assert_int_equal(json_array_size(json_object_get(j, "comparisons")), res.nrows);
	json_decref(j);
	sl_cmp_result_free(&res);
	sl_cmp_run_free(&b);
	sl_cmp_run_free(&a);

	/* 10% slower everywhere: runtime, CPU time and gflops regress, speedup does not */
	load_pair(&a, &b, 1.1, "synth", "m1", "256", "ok");
	assert_int_equal(sl_cmp_compare(&a, &b, &o, &res), 0);
	assert_int_equal(sl_cmp_exit_code(&res), 1);
	assert_int_equal(res.overall, SL_VERDICT_REGRESSION);
	for (size_t i = 0; i < res.nrows; i++) {
		const struct sl_cmp_row *r = &res.rows[i];

		if (!strcmp(r->metric.name, "wall_s") || !strcmp(r->metric.name, "gflops"))
			assert_int_equal(r->verdict, SL_VERDICT_REGRESSION);
		if (!strcmp(r->metric.name, "speedup"))
			assert_int_not_equal(r->verdict, SL_VERDICT_REGRESSION);
	}
	/* a 15% threshold for wall_s, cpu_user_s and gflops takes them back */
	{
		struct sl_cmp_result r2;

		assert_int_equal(sl_cmp_thresholds_parse(&o, "x.ini", "[compare]\nthreshold = 5\nthreshold.wall_s = 15\n"
							 "threshold.gflops = 15 ; inline comment\n"
							 "threshold.cpu_user_s = 15\n"), 0);
		assert_true(fabs(sl_cmp_threshold(&o, "wall_s") - 15) < 1e-12);
		assert_int_equal(sl_cmp_compare(&a, &b, &o, &r2), 0);
		assert_int_equal(sl_cmp_exit_code(&r2), 0);
		sl_cmp_result_free(&r2);
		sl_cmp_options_init(&o);
	}
	sl_cmp_result_free(&res);
	sl_cmp_run_free(&b);
	sl_cmp_run_free(&a);
}

static void test_compare_refusals(void **state)
{
	struct sl_cmp_run a, b;
	struct sl_cmp_options o;
	struct sl_cmp_result res;

	(void)state;
	sl_cmp_options_init(&o);
	/* different experiments */
	load_pair(&a, &b, 1, "other", "m1", "256", "ok");
	assert_int_equal(sl_cmp_compare(&a, &b, &o, &res), -EINVAL);
	assert_int_equal(res.nrows, 0);
	sl_cmp_run_free(&b);
	sl_cmp_run_free(&a);
	/* different machines: refused, then dimensionless only with cross_machine */
	load_pair(&a, &b, 1.5, "synth", "m2", "256", "ok");
	assert_int_equal(sl_cmp_compare(&a, &b, &o, &res), -EINVAL);
	o.cross_machine = true;
	assert_int_equal(sl_cmp_compare(&a, &b, &o, &res), 0);
	assert_true(res.cross_machine);
	for (size_t i = 0; i < res.nrows; i++)
		assert_true(res.rows[i].metric.dimensionless);
	assert_int_equal(count_metric(&res, "wall_s"), 0);
	assert_int_equal(count_metric(&res, "speedup"), 2);
	assert_int_equal(sl_cmp_exit_code(&res), 0);   /* 50% slower, same speedup */
	sl_cmp_result_free(&res);
	/* asking for an absolute metric across machines is an error */
	o.nmetrics = 1;
	assert_int_equal(sl_cmp_metric_lookup("wall_s", &o.metrics[0]), 0);
	assert_int_equal(sl_cmp_compare(&a, &b, &o, &res), -EINVAL);
	/* but asking only for dimensionless ones needs no flag */
	o.cross_machine = false;
	assert_int_equal(sl_cmp_metric_lookup("speedup", &o.metrics[0]), 0);
	assert_int_equal(sl_cmp_compare(&a, &b, &o, &res), 0);
	sl_cmp_result_free(&res);
	sl_cmp_run_free(&b);
	sl_cmp_run_free(&a);
	sl_cmp_options_init(&o);
	/* a changed fixed parameter: matched on processes, noted */
	load_pair(&a, &b, 1.2, "synth", "m1", "512", "ok");
	assert_int_equal(sl_cmp_compare(&a, &b, &o, &res), 0);
	assert_int_equal(res.nlabels, 3);
	assert_true(res.nnotes >= 1);
	assert_non_null(strstr(res.notes[0], "'n' differs"));
	assert_int_equal(sl_cmp_exit_code(&res), 1);
	sl_cmp_result_free(&res);
	sl_cmp_run_free(&b);
	sl_cmp_run_free(&a);
	/* a crash that was not there before is a regression */
	load_pair(&a, &b, 1, "synth", "m1", "256", "crash:SIGSEGV");
	assert_int_equal(sl_cmp_compare(&a, &b, &o, &res), 0);
	assert_int_equal(count_metric(&res, "status"), 1);
	assert_int_equal(sl_cmp_exit_code(&res), 1);
	sl_cmp_result_free(&res);
	sl_cmp_run_free(&b);
	sl_cmp_run_free(&a);
}

static void test_no_match(void **state)
{
	struct sl_cmp_run a, b;
	struct sl_cmp_options o;
	struct sl_cmp_result res;
	char *meta = gen_meta("synth", "m1");
	const char *ra = "config,rep,processes,wall_s,status\n0,0,1,1.0,ok\n1,0,2,0.5,ok\n";
	const char *rb = "config,rep,processes,wall_s,status\n0,0,8,1.0,ok\n1,0,16,0.5,ok\n";

	(void)state;
	sl_cmp_options_init(&o);
	assert_int_equal(parse(&a, "a", meta, ra), 0);
	assert_int_equal(parse(&b, "b", meta, rb), 0);
	assert_int_equal(sl_cmp_compare(&a, &b, &o, &res), -EINVAL);
	sl_cmp_run_free(&b);
	sl_cmp_run_free(&a);
	free(meta);
}

/* Every malformed input is an error, never a crash or a verdict. */
static void test_bad_inputs(void **state)
{
	static const char *const bad_runs[] = {
		"",                                                         /* empty file */
		"config,rep,processes,wall_s,status\n",                     /* no rows */
		"config,rep,processes,wall_s,status\n0,0,1,1.0,ok\n0,1,1,1.",   /* truncated */
		"config,rep,processes,wall_s\n0,0,1,1.0\n",                 /* no status column */
		"rep,config,processes,wall_s,status\n0,0,1,1.0,ok\n",       /* wrong order */
		"config,rep,processes,status\n0,0,1,ok\n",                  /* no metric */
		"config,rep,processes,wall_s,bogus,status\n0,0,1,1,2,ok\n", /* unknown column among metrics */
		"config,rep,processes,wall_s,status\n0,0,1,nan,ok\n",       /* NaN */
		"config,rep,processes,wall_s,status\n0,0,1,inf,ok\n",
		"config,rep,processes,wall_s,status\n0,0,1,1e300,ok\n",     /* huge */
		"config,rep,processes,wall_s,status\n0,0,1,-1,ok\n",        /* negative */
		"config,rep,processes,wall_s,status\n0,0,1,,ok\n",          /* ok without wall time */
		"config,rep,processes,wall_s,status\n0,0,1,1.0,\n",         /* empty status */
		"config,rep,processes,wall_s,status\nx,0,1,1.0,ok\n",       /* config not a number */
		"config,rep,processes,wall_s,status\n0,1.5,1,1.0,ok\n",     /* rep not an integer */
		"config,rep,processes,wall_s,status\n0,0,1,1.0,ok\n0,0,1,1.1,ok\n",   /* repetition twice */
		"config,rep,processes,wall_s,status\n0,0,1,1.0,ok\n0,1,2,1.1,ok\n",   /* axes change */
		"config,rep,processes,wall_s,status\n0,0,1,1.0,ok\n1,0,1,1.1,ok\n",   /* same axes twice */
		"config,rep,processes,wall_s,status\n0,0,1,1.0,ok\n\n",     /* blank line */
		"config,rep,processes,wall_s,status\n0,0,1,1.0,ok,extra\n",
	};
	static const char *const bad_meta[] = {
		"", "{", "[]", "{\"experiment\": {\"name\": \"synth\"}}", "{\"fingerprint\": \"m\"}",
		"{\"fingerprint\": \"\", \"experiment\": {\"name\": \"synth\"}}",
		"{\"fingerprint\": \"m\", \"experiment\": \"synth\"}",
		"{\"fingerprint\": 3, \"experiment\": {\"name\": \"synth\"}}",
		"{\"fingerprint\": \"m\", \"fingerprint\": \"n\", \"experiment\": {\"name\": \"synth\"}}",
		"{\"fingerprint\": \"m\\u0000x\", \"experiment\": {\"name\": \"synth\"}}",
	};
	const char *good_runs = "config,rep,processes,wall_s,status\n0,0,1,1.0,ok\n";
	char *good_meta = gen_meta("synth", "m1");
	struct sl_cmp_run r;

	(void)state;
	assert_int_equal(parse(&r, "d", good_meta, good_runs), 0);
	sl_cmp_run_free(&r);
	for (size_t i = 0; i < sizeof(bad_runs) / sizeof(bad_runs[0]); i++) {
		int rc = parse(&r, "d", good_meta, bad_runs[i]);

		if (rc != -EINVAL)
			fail_msg("bad runs.csv #%zu accepted (rc %d)", i, rc);
		assert_int_equal(r.nconfigs, 0);
	}
	for (size_t i = 0; i < sizeof(bad_meta) / sizeof(bad_meta[0]); i++) {
		int rc = parse(&r, "d", bad_meta[i], good_runs);

		if (rc != -EINVAL)
			fail_msg("bad meta.json #%zu accepted (rc %d)", i, rc);
	}
	/* missing directory */
	assert_true(sl_cmp_run_load("/nonexistent/speedlab-compare", &r) < 0);
	free(good_meta);
}

static void test_thresholds(void **state)
{
	struct sl_cmp_options o;

	(void)state;
	sl_cmp_options_init(&o);
	assert_true(fabs(sl_cmp_threshold(&o, "wall_s") - 5) < 1e-12);
	assert_int_equal(sl_cmp_thresholds_parse(&o, "e.ini", "[experiment]\nname = x\n[compare]\nthreshold = 7\n"
						 "threshold.start_latency_ms = 50\nthreshold.runtime = 9\n"), 0);
	assert_true(fabs(sl_cmp_threshold(&o, "gflops") - 7) < 1e-12);
	assert_true(fabs(sl_cmp_threshold(&o, "start_latency_ms") - 50) < 1e-12);
	assert_true(fabs(sl_cmp_threshold(&o, "wall_s") - 9) < 1e-12);
	assert_int_equal(sl_cmp_thresholds_parse(&o, "e.ini", "[compare]\nthreshold.wall = 5\n"), -EINVAL);
	assert_int_equal(sl_cmp_thresholds_parse(&o, "e.ini", "[compare]\nthreshold = five\n"), -EINVAL);
	assert_int_equal(sl_cmp_thresholds_parse(&o, "e.ini", "[compare]\nthreshold = -1\n"), -EINVAL);
	assert_int_equal(sl_cmp_thresholds_parse(&o, "e.ini", "[compare]\ntreshold = 5\n"), -EINVAL);
	assert_int_equal(sl_cmp_thresholds_parse(&o, "e.ini", "[compare\n"), -EINVAL);
	/* a missing file keeps the defaults */
	assert_int_equal(sl_cmp_thresholds_load(&o, "/nonexistent/experiment.ini"), 0);
	/* the experiment reader reads [compare] alone: an older result whose other sections this speedlab
	 * would refuse (an unknown workload and key) still gives its thresholds; a failed read changes nothing */
	assert_int_equal(sl_cmp_thresholds_parse(&o, "old.ini", "[experiment]\nworkload = gone\nretired_key = 1\n"
						 "[compare]\nthreshold = 12\nthreshold.gflop = 3\n"), -EINVAL);
	assert_true(fabs(sl_cmp_threshold(&o, "gflops") - 7) < 1e-12);
	assert_int_equal(sl_cmp_thresholds_parse(&o, "old.ini", "[experiment]\nworkload = gone\nretired_key = 1\n"
						 "[compare]\nthreshold = 12 ; inline comment\n"), 0);
	assert_true(fabs(sl_cmp_threshold(&o, "gflops") - 12) < 1e-12);
	assert_true(fabs(sl_cmp_threshold(&o, "wall_s") - 9) < 1e-12);
}

static void test_markdown(void **state)
{
	struct sl_cmp_run a, b;
	struct sl_cmp_options o;
	struct sl_cmp_result res;
	char *buf = NULL;
	size_t len = 0;
	FILE *f;

	(void)state;
	sl_cmp_options_init(&o);
	load_pair(&a, &b, 1.1, "synth", "m1", "256", "ok");
	assert_int_equal(sl_cmp_compare(&a, &b, &o, &res), 0);
	f = open_memstream(&buf, &len);
	sl_cmp_markdown(&res, f);
	fclose(f);
	assert_non_null(strstr(buf, "**speedlab compare: regression**"));
	/* the answer first */
	assert_memory_equal(buf, "Verdict: regression — worst: processes=", strlen("Verdict: regression — worst: processes="));
	assert_non_null(strstr(buf, "| configuration | metric | base | current | change % [95% CI] | detectable % | p | verdict |"));
	assert_non_null(strstr(buf, "| processes=4 | wall_s |"));
	assert_non_null(strstr(buf, "**regression**"));
	free(buf);
	sl_cmp_result_free(&res);
	sl_cmp_run_free(&b);
	sl_cmp_run_free(&a);
}


/* The minimum detectable effect against the formula: n = 3 each side, log sd s: Welch df 4,
 * MDE = exp((t(0.975, 4) + t(0.8, 4)) s sqrt(2/3)) - 1 with t(0.975, 4) = 2.776445105,
 * t(0.8, 4) = 0.9409645. */
static void test_detectable_effect(void **state)
{
	double s = 0.01, b[3] = { exp(-s), 1, exp(s) }, c[3] = { exp(-s), 1, exp(s) };
	double want = expm1((2.776445105 + 0.9409645) * s * sqrt(2.0 / 3)) * 100;
	struct sl_cmp_row row;

	(void)state;
	row = row_for("wall_s", b, 3, c, 3);
	if (fabs(row.mde_pct - want) > 1e-4)
		fail_msg("mde %.9g, expected %.9g", row.mde_pct, want);
	assert_int_equal(row.more_reps, 0);
	assert_int_equal(row.verdict, SL_VERDICT_UNCHANGED);
	/* 10x the noise: 6.3% cannot see 5%; the repetitions it asks for would */
	for (int i = 0; i < 3; i++) {
		b[i] = pow(b[i], 10);
		c[i] = pow(c[i], 10);
	}
	row = row_for("wall_s", b, 3, c, 3);
	assert_true(row.mde_pct > 5);
	assert_true(row.more_reps > 0);
	assert_int_equal(row.verdict, SL_VERDICT_INCONCLUSIVE);
	{
		/* the same values, repeated to 3 + more_reps (rounded up to whole triples: a log variance no
		 * larger) on each side: now the threshold is detectable */
		size_t n = 3 + (size_t)row.more_reps, m = (n + 2) / 3 * 3;
		double *x = malloc(m * sizeof(*x));
		struct sl_cmp_row big;

		for (size_t i = 0; i < m; i++)
			x[i] = b[i % 3];
		big = row_for("wall_s", x, m, x, m);
		assert_true(big.mde_pct <= 5);
		big = row_for("wall_s", x, 3 + (size_t)row.more_reps / 2, x, 3 + (size_t)row.more_reps / 2);
		assert_true(big.mde_pct > 5 * 0.9);   /* and it asked for no more than about twice what it needed */
		free(x);
	}
}

/* Every note agrees with the numbers beside it, over seeded scenarios of every kind: a regression
 * is significant, beyond the threshold and worse; "unchanged" could have detected the threshold or
 * was significant within it; "could only have detected X%" prints the row's MDE, above the
 * threshold; a Benjamini-Hochberg note has p <= 0.05 alone and above the cut. */
static void test_notes_agree(void **state)
{
	struct sl_cmp_options o;
	int seen[SL_VERDICT_N] = { 0 }, bh = 0;

	(void)state;
	sl_cmp_options_init(&o);
	o.bootstrap = 200;
	for (int k = 0; k < 400; k++) {
		size_t n = 3 + (size_t)(k % 8);
		double b[10], c[10], noise = (k / 8) % 5 == 0 ? 0.002 : 0.01 * ((k / 8) % 5) * 3;
		double shift = 1 + 0.05 * ((k / 40) % 5);
		struct sl_cmp_row row;
		const char *p;

		sample(b, n, 1.0, noise, (uint64_t)k * 2 + 1);
		sample(c, n, shift, noise, (uint64_t)k * 2 + 2);
		o.alpha = k % 3 == 0 ? 0.001 : 0.05;   /* 0.001: the cut Benjamini-Hochberg leaves over many rows */
		memset(&row, 0, sizeof(row));
		assert_int_equal(sl_cmp_metric_lookup("wall_s", &row.metric), 0);
		sl_cmp_samples(b, n, c, n, 5, &o, (uint64_t)k, &row);
		seen[row.verdict]++;
		switch (row.verdict) {
		case SL_VERDICT_REGRESSION:
			assert_true(row.significant && row.change_pct > 5 && row.p <= o.alpha && row.change_lo_pct > 0);
			break;
		case SL_VERDICT_IMPROVEMENT:
			assert_true(row.significant && row.change_pct < -5 && row.change_hi_pct < 0);
			break;
		case SL_VERDICT_UNCHANGED:
			assert_true((row.significant && fabs(row.change_pct) <= 5) || (!row.significant && row.mde_pct <= 5));
			break;
		default:
			break;
		}
		if ((p = strstr(row.note, "could only have detected "))) {
			char want[32];

			assert_int_equal(row.verdict, SL_VERDICT_INCONCLUSIVE);
			assert_true(row.mde_pct > 5 && !row.significant);
			snprintf(want, sizeof(want), "%.*f%%", row.mde_pct < 10 ? 1 : 0, row.mde_pct);
			assert_memory_equal(p + strlen("could only have detected "), want, strlen(want));
			if (row.more_reps > 0) {
				char more[48];

				snprintf(more, sizeof(more), "about %ld more repetitions", row.more_reps);
				assert_non_null(strstr(row.note, more));
			}
		}
		if (strstr(row.note, "Benjamini-Hochberg")) {
			assert_true(row.p <= 0.05 && row.p > row.p_cut && !row.significant);
			bh++;
		}
		if (strstr(row.note, "includes 0"))
			assert_true(row.change_lo_pct <= 0 && row.change_hi_pct >= 0 && row.p <= o.alpha);
		assert_null(strstr(row.note, "reaches beyond"));
	}
	/* the scenarios reach every verdict and the family-wide case */
	assert_true(seen[SL_VERDICT_REGRESSION] > 0 && seen[SL_VERDICT_UNCHANGED] > 0 &&
		    seen[SL_VERDICT_INCONCLUSIVE] > 0);
	assert_true(bh > 0);
}

/* The headline: the first line is the verdict and its reason, and the reason's numbers are the worst
 * row's; a changed workload parameter is said next to it. */
static void test_headline(void **state)
{
	struct sl_cmp_run a, b;
	struct sl_cmp_options o;
	struct sl_cmp_result res;
	const struct sl_cmp_row *worst = NULL;
	char want[256], *buf = NULL;
	size_t len = 0;
	FILE *f;

	(void)state;
	sl_cmp_options_init(&o);
	o.bootstrap = 200;
	load_pair(&a, &b, 1.2, "synth", "m1", "512", "ok");
	assert_int_equal(sl_cmp_compare(&a, &b, &o, &res), 0);
	assert_int_equal(res.overall, SL_VERDICT_REGRESSION);
	assert_string_equal(sl_cmp_headline(&res), "regression");
	for (size_t i = 0; i < res.nrows; i++)
		if (res.rows[i].verdict == SL_VERDICT_REGRESSION &&
		    (!worst || fabs(res.rows[i].change_pct) > fabs(worst->change_pct)))
			worst = &res.rows[i];
	assert_non_null(worst);
	snprintf(want, sizeof(want), "worst: %s %s %+.1f%% [%+.1f, %+.1f]", res.labels[worst->match],
		 worst->metric.name, worst->change_pct, worst->change_lo_pct, worst->change_hi_pct);
	assert_non_null(strstr(res.reason, want));
	assert_string_equal(res.params, "n 256 -> 512");
	f = open_memstream(&buf, &len);
	sl_cmp_markdown(&res, f);
	fclose(f);
	assert_memory_equal(buf, "Verdict: regression — worst: ", strlen("Verdict: regression — worst: "));
	assert_non_null(strstr(buf, "\nWorkload parameters differ between base and current: n 256 -> 512"));
	assert_non_null(strstr(buf, "\nGeometric mean over the matched configurations: wall_s +"));
	free(buf);
	sl_cmp_result_free(&res);
	sl_cmp_run_free(&b);
	sl_cmp_run_free(&a);
	/* a loaded machine (meta.json's preflight) is said beside the verdict */
	{
		const char *ml = "{\"fingerprint\": \"m1\", \"experiment\": {\"name\": \"synth\"}, "
				 "\"preflight\": {\"load_per_cpu\": 3.5}}";
		char *ra = gen_runs(10, 1, 0.01, 1, "256", "ok");

		assert_int_equal(parse(&a, "base", ml, ra), 0);
		assert_int_equal(parse(&b, "cur", ml, ra), 0);
		free(ra);
		assert_int_equal(sl_cmp_compare(&a, &b, &o, &res), 0);
		buf = NULL;
		f = open_memstream(&buf, &len);
		sl_cmp_markdown(&res, f);
		fclose(f);
		assert_non_null(strstr(buf, "\nMachine loaded: load average per CPU at the start 3.5 (base) and 3.5 (current)"));
		free(buf);
		sl_cmp_result_free(&res);
		sl_cmp_run_free(&b);
		sl_cmp_run_free(&a);
	}
	/* identical, quiet runs: no change, and it says what it could have seen */
	load_pair(&a, &b, 1, "synth", "m1", "256", "ok");
	assert_int_equal(sl_cmp_compare(&a, &b, &o, &res), 0);
	assert_string_equal(sl_cmp_headline(&res), "no change");
	assert_int_equal(sl_cmp_exit_code(&res), 0);
	assert_non_null(strstr(res.reason, "each could have detected it"));
	for (size_t i = 0; i < res.nrows; i++)
		if (res.rows[i].metric.better != 0)
			assert_true(res.rows[i].mde_pct <= res.rows[i].threshold_pct);
	sl_cmp_result_free(&res);
	sl_cmp_run_free(&b);
	sl_cmp_run_free(&a);
}

static void test_welch(void **state)
{
	/* references: the t density integrated numerically, independently of this code */
	double a[] = { 1.0, 1.02, 0.98 }, b[] = { 1.1, 1.12, 1.09 };
	double c[] = { 10, 20, 30, 40 }, d[] = { 30, 40, 50, 60 };
	double e[] = { 1, 1, 1 }, g[] = { 2, 2, 2 }, h[] = { 1, NAN };

	(void)state;
	assert_true(fabs(sl_cmp_welch_p(a, 3, b, 3) - 0.003347061606) < 1e-9);
	assert_true(fabs(sl_cmp_welch_p(c, 4, d, 4) - 0.1075320999705) < 1e-9);
	assert_true(sl_cmp_welch_p(e, 3, e, 3) == 1);
	assert_true(sl_cmp_welch_p(e, 3, g, 3) == 0);
	assert_true(isnan(sl_cmp_welch_p(h, 2, a, 3)));   /* one finite value */
}

/* runs.csv of 16 configurations (processes 1, 2 x 8 chunk sizes) with noisy latencies; one
 * configuration (or all, shifted_cfg < 0) slower by shift. */
static char *gen_wide(int reps, double shift, int shifted_cfg, double noise, uint64_t seed)
{
	char *buf = NULL;
	size_t len = 0;
	FILE *f = open_memstream(&buf, &len);
	struct sl_rng rng;

	sl_rng_seed(&rng, seed);
	fputs("config,rep,processes,chunksize,wall_s,cpu_user_s,cores_busy,start_latency_ms,dispatch_us_per_task,status\n", f);
	for (int r = 0; r < reps; r++)
		for (int c = 0; c < 16; c++) {
			int p = c < 8 ? 1 : 2;
			double s = shifted_cfg < 0 || shifted_cfg == c ? shift : 1;
			double w = s * (0.2 + 0.8 / p) * exp(noise * sl_rng_normal(&rng));

			fprintf(f, "%d,%d,%d,%d,%.6g,%.6g,%.6g,%.6g,%.6g,ok\n", c, r, p, 1 << (c % 8), w,
				w * p * exp(0.01 * sl_rng_normal(&rng)), 0.9 * p * exp(noise * sl_rng_normal(&rng)),
				3 * exp(0.3 * sl_rng_normal(&rng)), 50 * exp(0.3 * sl_rng_normal(&rng)));
		}
	fclose(f);
	return buf;
}

static int wide_exit(int reps, double shift, int shifted_cfg, double noise, uint64_t seed, size_t *family)
{
	static const char meta[] = "{\"fingerprint\": \"m\", \"experiment\": {\"name\": \"x\"}}";
	char *ra = gen_wide(reps, 1, -1, noise, seed), *rb = gen_wide(reps, shift, shifted_cfg, noise, seed + 7777);
	struct sl_cmp_run a, b;
	struct sl_cmp_options o;
	struct sl_cmp_result res;
	int rc;

	sl_cmp_options_init(&o);
	o.bootstrap = 200;
	assert_int_equal(sl_cmp_run_parse(&a, "a", meta, strlen(meta), ra, strlen(ra)), 0);
	assert_int_equal(sl_cmp_run_parse(&b, "b", meta, strlen(meta), rb, strlen(rb)), 0);
	assert_int_equal(sl_cmp_compare(&a, &b, &o, &res), 0);
	rc = sl_cmp_exit_code(&res);
	*family = res.family;
	sl_cmp_result_free(&res);
	sl_cmp_run_free(&b);
	sl_cmp_run_free(&a);
	free(ra);
	free(rb);
	return rc;
}

/* Many rows, nothing changed: the comparison as a whole rarely cries regression (Benjamini-
 * Hochberg); one clear change among them is still found. */
static void test_family(void **state)
{
	size_t family;
	int alarms = 0;

	(void)state;
	for (uint64_t seed = 1; seed <= 20; seed++)
		alarms += wide_exit(3, 1, -1, 0.05, seed * 31, &family);
	assert_true(family >= 90);
	assert_true(alarms <= 2);     /* q = 0.05: about 1 in 20 at most; per-row tests gave most */
	alarms = 0;
	for (uint64_t seed = 1; seed <= 10; seed++)
		alarms += wide_exit(10, 1, -1, 0.05, seed * 57, &family);
	assert_true(alarms <= 1);
	/* one configuration 20% slower, 5 repetitions, 1% noise: a rank test alone could not reach
	 * 0.05 / 100 rows (its smallest p is 0.0079), Welch's t does */
	assert_int_equal(wide_exit(5, 1.2, 3, 0.01, 99, &family), 1);
	assert_int_equal(wide_exit(3, 1.2, 3, 0.005, 98, &family), 1);
}

static void test_path_component(void **state)
{
	char out[32];

	(void)state;
	sl_cmp_path_component("../../etc/passwd", out, sizeof(out));
	assert_null(strchr(out, '/'));
	assert_true(out[0] != '.');
	sl_cmp_path_component("", out, sizeof(out));
	assert_string_equal(out, "_");
	sl_cmp_path_component("x86_64-Intel 8 cores", out, sizeof(out));
	assert_string_equal(out, "x86_64-Intel_8_cores");
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_identical_unchanged),
		cmocka_unit_test(test_slowdown_regression),
		cmocka_unit_test(test_small_noise_unchanged),
		cmocka_unit_test(test_three_reps),
		cmocka_unit_test(test_noisy_inconclusive),
		cmocka_unit_test(test_detectable_effect),
		cmocka_unit_test(test_notes_agree),
		cmocka_unit_test(test_headline),
		cmocka_unit_test(test_speedup_rows),
		cmocka_unit_test(test_load_and_compare),
		cmocka_unit_test(test_compare_refusals),
		cmocka_unit_test(test_no_match),
		cmocka_unit_test(test_bad_inputs),
		cmocka_unit_test(test_thresholds),
		cmocka_unit_test(test_markdown),
		cmocka_unit_test(test_welch),
		cmocka_unit_test(test_family),
		cmocka_unit_test(test_path_component),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
