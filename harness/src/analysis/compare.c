/* compare.c: the metrics compare knows, its options and thresholds, and the comparison of two runs:
 * matching their configurations by axis values, one row per metric, and calibration from A/A runs.
 * Beside it: compare_load.c (a result directory read back), compare_stats.c (the statistics of
 * one row and of the comparison), compare_verdict.c (the headline verdict and its reason),
 * compare_print.c (Markdown and JSON). Every row gets a verdict: regression, improvement,
 * unchanged or inconclusive.
 *
 * The decision, per configuration and metric (as Google Benchmark's compare.py and asv do):
 *  - a change counts only when it is statistically significant AND larger than the threshold
 *    (default 5%, [compare] threshold / threshold.<metric> in the base's experiment.ini);
 *  - significant means two things. A rank condition, robust to outliers: Mann-Whitney U p < 0.05
 *    on the repetitions when both sides have >= 5, else the 95% bootstrap CIs of the two medians
 *    do not overlap. And the comparison-wide condition: Welch's t-test on the logarithms (run-time
 *    noise is multiplicative) gives every row a p-value, and these go through Benjamini-Hochberg
 *    at q = 0.05 over all rows of the comparison, the decision a CI job acts on;
 *  - why the second: per-row tests cried regression in 7 of 10 pairs of identical pool-overhead
 *    quick runs (80 rows, 3 repetitions, a loaded 2-core machine); with it, 1 of 10. When nothing
 *    changed, Benjamini-Hochberg bounds the chance of any false regression by q however many rows
 *    there are (simulated: <= 1.5% for 90 rows), and when many rows changed it keeps most of the
 *    power of per-row tests. Welch's p has no floor, unlike a rank test's (2/C(2n,n): 0.0079 for
 *    5 against 5), so one isolated change among many rows is still found when it is clear;
 *  - a change that is not significant is `unchanged` when the 95% CI of the change lies within
 *    the threshold, else `inconclusive` (too few or too noisy repetitions to tell);
 *  - fewer than 3 repetitions on either side are always `inconclusive`.
 *
 * Speedup and efficiency are compared from runs.csv, not summary.csv: the speedup of a
 * configuration is median(T1) / median(TP) against the 1-process configuration of the same series
 * (as the tables compute it); its CI is a bootstrap that resamples T1 and TP independently; the
 * change between base and current resamples all four samples. The Mann-Whitney test runs on
 * per-repetition ratios T1[r] / TP[r] paired by repetition number: repetitions are independent
 * and identically distributed within a configuration, so any fixed pairing gives independent
 * ratios that carry the noise of both T1 and TP. */
#include <errno.h>
#include <stdarg.h>
#include <limits.h>
#include <stdlib.h>
#include <string.h>

#include "analysis/compare.h"
#include "core/csv.h"
#include "analysis/compare_internal.h"
#include "results/runs_view.h"
#include "core/stats.h"


static const char *const verdict_names[SL_VERDICT_N] = {
	"unchanged", "improvement", "regression", "changed", "inconclusive",
};

const char *sl_verdict_name(enum sl_verdict v)
{
	return (unsigned)v < SL_VERDICT_N ? verdict_names[v] : "?";
}

/* The headline metrics; gbps and gpu_wait_us are the GPU experiments' own (empty elsewhere, and a
 * metric without data on either side is skipped). cpu_user_s is here because on a loaded shared
 * runner it is the one that still sees a slowdown: measured on a 2-core machine at load 5, twice
 * the work moved wall_s by +34% (CV 30%) and cpu_user_s by +101% (CV < 2%); over 20 pairs of
 * identical runs it raised no false regression. Any other column can be asked for by --metric. */
const char *const sl_cmp_default_metrics[] = {
	"wall_s", "cpu_user_s", "speedup", "efficiency", "cores_busy", "dispatch_us_per_task",
	"start_latency_ms", "gflops", "gbps", "gpu_wait_us", NULL,
};

/* ---- metrics ---- */

int sl_cmp_metric_lookup(const char *name, struct sl_cmp_metric *m)
{
	const char *guess;

	if (sl_cmp_metric_find(name, m))
		return 0;
	guess = sl_cmp_metric_guess(name);
	if (guess)
		sl_err("unknown metric '%s' (did you mean '%s'?)", name, guess);
	else
		sl_err("unknown metric '%s' (speedup, efficiency or a runs.csv metric column such as wall_s)", name);
	return -EINVAL;
}

void sl_cmp_path_component(const char *name, char *out, size_t outlen)
{
	size_t k = 0;

	if (!outlen)
		return;
	for (const char *p = name; *p && k + 1 < outlen; p++) {
		char ch = *p;
		bool ok = (ch >= 'a' && ch <= 'z') || (ch >= 'A' && ch <= 'Z') || (ch >= '0' && ch <= '9') ||
			  ch == '-' || ch == '_' || (ch == '.' && k > 0);

		out[k++] = ok ? ch : '_';
	}
	if (k == 0 && outlen > 1)
		out[k++] = '_';
	out[k] = '\0';
}

/* ---- thresholds ---- */

int sl_cmp_thresholds_parse(struct sl_cmp_options *o, const char *name, const char *text)
{
	/* the experiment reader reads [compare]; compare only takes what it found */
	return sl_experiment_read_compare(name, text, o);
}

int sl_cmp_thresholds_load(struct sl_cmp_options *o, const char *ini_path)
{
	size_t len;
	char *text = sl_read_file(ini_path, &len);
	int err;

	if (!text) {
		if (errno == ENOENT)
			return 0;
		err = -errno;
		sl_err_at(ini_path, 0, "cannot read: %s", sl_strerror(errno));
		return err;
	}
	if (strlen(text) != len) {
		sl_err_at(ini_path, 0, "NUL byte in the file");
		free(text);
		return -EINVAL;
	}
	err = sl_cmp_thresholds_parse(o, ini_path, text);
	free(text);
	return err;
}

/* ---- the comparison of two runs ---- */

void sl_cmp_result_free(struct sl_cmp_result *res)
{
	for (size_t i = 0; i < res->nlabels; i++)
		free(res->labels[i]);
	free(res->labels);
	for (size_t i = 0; i < res->nnotes; i++)
		free(res->notes[i]);
	free(res->notes);
	free(res->rows);
	memset(res, 0, sizeof(*res));
}

int sl_cmp_exit_code(const struct sl_cmp_result *res)
{
	return res->counts[SL_VERDICT_REGRESSION] ? SL_EXIT_FINDING : SL_EXIT_OK;
}

int sl_cmp_add_note(struct sl_cmp_result *res, const char *fmt, ...)
{
	char **n = realloc(res->notes, (res->nnotes + 1) * sizeof(*n));
	va_list ap;
	int rc;

	if (!n)
		return -ENOMEM;
	res->notes = n;
	va_start(ap, fmt);
	rc = vasprintf(&res->notes[res->nnotes], fmt, ap);
	va_end(ap);
	if (rc < 0)
		return -ENOMEM;
	res->nnotes++;
	return 0;
}

struct sl_cmp_row *sl_cmp_add_row(struct sl_cmp_result *res, size_t *cap)
{
	struct sl_cmp_row *row;

	if (res->nrows == *cap) {
		size_t ncap = *cap ? *cap * 2 : 32;
		struct sl_cmp_row *n = realloc(res->rows, ncap * sizeof(*n));

		if (!n)
			return NULL;
		res->rows = n;
		*cap = ncap;
	}
	row = &res->rows[res->nrows++];
	memset(row, 0, sizeof(*row));
	return row;
}

/* FNV-1a of the label and metric, for a bootstrap seed per row: deterministic output. */
static uint64_t row_seed(uint64_t seed, const char *label, const char *metric)
{
	uint64_t h = 1469598103934665603ULL ^ seed;

	for (const char *p = label; *p; p++)
		h = (h ^ (unsigned char)*p) * 1099511628211ULL;
	h = (h ^ 0xff) * 1099511628211ULL;
	for (const char *p = metric; *p; p++)
		h = (h ^ (unsigned char)*p) * 1099511628211ULL;
	return h;
}

static int axis_index(const struct sl_cmp_run *r, const char *name)
{
	for (size_t a = 0; a < r->naxes; a++)
		if (strcmp(r->axes[a], name) == 0)
			return (int)a;
	return -1;
}

static bool axis_varies(const struct sl_cmp_run *r, int a)
{
	if (a < 0)
		return false;
	for (size_t i = 1; i < r->nconfigs; i++)
		if (strcmp(r->configs[i].values[a], r->configs[0].values[a]) != 0)
			return true;
	return false;
}

/* The distinct values of axis a of run r, comma-separated and cut short to fit len. */
static void axis_values(const struct sl_cmp_run *r, int a, char *buf, size_t len)
{
	size_t n = 0;

	buf[0] = '\0';
	for (size_t i = 0; i < r->nconfigs && n < len; i++) {
		const char *v = r->configs[i].values[a];
		size_t j = 0;

		while (j < i && strcmp(r->configs[j].values[a], v) != 0)
			j++;
		if (j == i)
			n += (size_t)snprintf(buf + n, len - n, "%s%s", n ? ", " : "", v);
	}
}

/* Whether some configuration of base and some of cur share their value of axis name (true when a
 * run lacks the axis: nothing says they differ). Never fails. */
static bool axis_overlaps(const struct sl_cmp_run *base, const struct sl_cmp_run *cur, const char *name)
{
	int b = axis_index(base, name), c = axis_index(cur, name);

	if (b < 0 || c < 0)
		return true;
	for (size_t i = 0; i < base->nconfigs; i++) {
		if (i && strcmp(base->configs[i].values[b], base->configs[i - 1].values[b]) == 0)
			continue;   /* asked already */
		for (size_t j = 0; j < cur->nconfigs; j++)
			if (strcmp(base->configs[i].values[b], cur->configs[j].values[c]) == 0)
				return true;
	}
	return false;
}

struct match_axis {
	const char *name;
	int b, c;           /* index in base, cur; -1 absent */
};

/* Choose the axes to match on: those that vary in either run. A fixed axis that differs between
 * the runs (a changed workload parameter) is noted, not matched on. */
static int match_axes(const struct sl_cmp_run *base, const struct sl_cmp_run *cur, struct sl_cmp_result *res,
		      struct match_axis *out, size_t *nout)
{
	size_t n = 0;

	for (size_t pass = 0; pass < 2; pass++) {
		const struct sl_cmp_run *r = pass ? cur : base;

		for (size_t a = 0; a < r->naxes; a++) {
			const char *name = r->axes[a];
			int b = axis_index(base, name), c = axis_index(cur, name);
			const char *bv, *cv;

			if (pass == 1 && b >= 0)
				continue;   /* seen in the first pass */
			if (axis_varies(base, b) || axis_varies(cur, c)) {
				out[n++] = (struct match_axis){ name, b, c };
				continue;
			}
			bv = b >= 0 && base->nconfigs ? base->configs[0].values[b] : NULL;
			cv = c >= 0 && cur->nconfigs ? cur->configs[0].values[c] : NULL;
			if (bv && cv && strcmp(bv, cv) != 0) {
				size_t used = strlen(res->params);

				snprintf(res->params + used, sizeof(res->params) - used, "%s%s %s -> %s",
					 used ? ", " : "", name, bv, cv);
				if (sl_cmp_add_note(res, "fixed axis '%s' differs: base %s, current %s (configurations are "
					     "matched on the others)", name, bv, cv) < 0)
					return -ENOMEM;
			} else if (!bv || !cv) {
				if (sl_cmp_add_note(res, "axis '%s' only in the %s run (= %s)", name, bv ? "base" : "current",
					     bv ? bv : cv) < 0)
					return -ENOMEM;
			}
		}
	}
	*nout = n;
	return 0;
}

static char *match_key(const struct sl_cmp_config *c, const struct match_axis *ax, size_t nax, bool cur_side)
{
	size_t len = 1;
	char *k, *p;

	for (size_t i = 0; i < nax; i++) {
		int a = cur_side ? ax[i].c : ax[i].b;

		len += (a >= 0 ? strlen(c->values[a]) : 1) + 1;
	}
	k = malloc(len);
	if (!k)
		return NULL;
	p = k;
	for (size_t i = 0; i < nax; i++) {
		int a = cur_side ? ax[i].c : ax[i].b;
		const char *v = a >= 0 ? c->values[a] : "\x1e";   /* absent never equals a value */
		size_t l = strlen(v);

		memcpy(p, v, l);
		p += l;
		*p++ = '\x1f';
	}
	*p = '\0';
	return k;
}

static char *match_label(const struct sl_cmp_config *c, const struct match_axis *ax, size_t nax)
{
	char *label = NULL;
	size_t len = 0;
	FILE *f = open_memstream(&label, &len);

	if (!f)
		return NULL;
	for (size_t i = 0; i < nax; i++)
		fprintf(f, "%s%s=%s", i ? " " : "", ax[i].name, ax[i].b >= 0 ? c->values[ax[i].b] : "");
	if (nax == 0)
		fputs("all", f);
	if (fclose(f) != 0) {
		free(label);
		return NULL;
	}
	return label;
}

/* The column of a raw metric over a configuration's ok repetitions, into out (room for nok). */
static void column_values(const struct sl_cmp_config *c, int column, double *out)
{
	for (size_t i = 0; i < c->nok; i++)
		out[i] = c->m[i * sl_metric_ncolumns + (size_t)column];
}

static size_t count_finite(const double *x, size_t n)
{
	size_t k = 0;

	for (size_t i = 0; i < n; i++)
		k += isfinite(x[i]) != 0;
	return k;
}

/* Compare one matched pair of configurations on one metric; adds 0 or 1 row. */
static int compare_metric(const struct sl_cmp_run *base, const struct sl_cmp_config *cb, const struct sl_cmp_run *cur,
			  const struct sl_cmp_config *cc, const struct sl_cmp_metric *metric, size_t match,
			  const char *label, const struct sl_cmp_options *o, struct sl_cmp_result *res, size_t *cap)
{
	double thr = sl_cmp_threshold(o, metric->name);
	uint64_t seed = row_seed(o->seed, label, metric->name);
	struct sl_cmp_row *row;

	if (metric->kind == SL_CMP_RAW) {
		double *b = malloc((cb->nok ? cb->nok : 1) * sizeof(*b)), *c = malloc((cc->nok ? cc->nok : 1) * sizeof(*c));
		size_t fb, fc;
		int err = 0;

		if (!b || !c) {
			err = -ENOMEM;
			goto out_free_raw;
		}
		column_values(cb, metric->column, b);
		column_values(cc, metric->column, c);
		fb = count_finite(b, cb->nok);
		fc = count_finite(c, cc->nok);
		if (fb == 0 && fc == 0)
			goto out_free_raw;   /* the metric does not apply here */
		row = sl_cmp_add_row(res, cap);
		if (!row) {
			err = -ENOMEM;
			goto out_free_raw;
		}
		row->match = match;
		row->metric = *metric;
		sl_cmp_samples(b, cb->nok, c, cc->nok, thr, o, seed, row);
		if (fb == 0 || fc == 0) {
			row->nmin = 0;   /* out of the family: nothing to test */
			row->verdict = SL_VERDICT_INCONCLUSIVE;
			snprintf(row->note, sizeof(row->note), "no data in the %s run", fb ? "current" : "base");
		}
out_free_raw:
		free(b);
		free(c);
		return err;
	}
	{
		const struct sl_cmp_config *b1, *c1;
		double *t1b, *tpb, *t1c, *tpc;
		int wall = sl_metric_column("wall_s"), err = 0;
		double scale;

		if (cb->processes <= 1 || cb->processes != cc->processes || cb->one_process < 0 || cc->one_process < 0)
			return 0;
		b1 = &base->configs[cb->one_process];
		c1 = &cur->configs[cc->one_process];
		if (!b1->nok || !c1->nok)
			return 0;
		scale = metric->kind == SL_CMP_EFFICIENCY ? (double)cb->processes : 1;
		t1b = malloc(b1->nok * sizeof(double));
		tpb = malloc(cb->nok * sizeof(double));
		t1c = malloc(c1->nok * sizeof(double));
		tpc = malloc(cc->nok * sizeof(double));
		row = sl_cmp_add_row(res, cap);
		if (!t1b || !tpb || !t1c || !tpc || !row) {
			err = -ENOMEM;
			goto out_free_speedup;
		}
		column_values(b1, wall, t1b);
		column_values(cb, wall, tpb);
		column_values(c1, wall, t1c);
		column_values(cc, wall, tpc);
		row->match = match;
		row->metric = *metric;
		sl_cmp_speedup(t1b, b1->reps, b1->nok, tpb, cb->reps, cb->nok, t1c, c1->reps, c1->nok, tpc, cc->reps,
			       cc->nok, scale, thr, o, seed, row);
out_free_speedup:
		free(t1b);
		free(tpb);
		free(t1c);
		free(tpc);
		return err;
	}
}

/* A status row when repetitions failed on either side: new failures are a regression. */
static int compare_status(const struct sl_cmp_config *cb, const struct sl_cmp_config *cc, size_t match,
			  struct sl_cmp_result *res, size_t *cap)
{
	struct sl_cmp_row *row;

	if (!cb->nfailed && !cc->nfailed)
		return 0;
	row = sl_cmp_add_row(res, cap);
	if (!row)
		return -ENOMEM;
	row->match = match;
	snprintf(row->metric.name, sizeof(row->metric.name), "status");
	row->metric.kind = SL_CMP_STATUS;
	row->metric.column = -1;
	row->metric.better = 1;
	row->metric.dimensionless = true;
	row->base = (struct sl_cmp_side){ (double)cb->nok, NAN, NAN, NAN, cb->nmeasured };
	row->cur = (struct sl_cmp_side){ (double)cc->nok, NAN, NAN, NAN, cc->nmeasured };
	row->mde_pct = NAN;
	row->more_reps = -1;
	row->change_pct = row->change_lo_pct = row->change_hi_pct = row->p = NAN;
	if (cc->nfailed && !cb->nfailed) {
		row->verdict = SL_VERDICT_REGRESSION;
		snprintf(row->note, sizeof(row->note), "%zu of %zu repetitions failed (%.60s)", cc->nfailed,
			 cc->nmeasured, cc->first_bad);
	} else if (cb->nfailed && !cc->nfailed) {
		row->verdict = SL_VERDICT_IMPROVEMENT;
		snprintf(row->note, sizeof(row->note), "no failure now; %zu of %zu failed before (%.60s)", cb->nfailed,
			 cb->nmeasured, cb->first_bad);
	} else {
		row->verdict = SL_VERDICT_UNCHANGED;
		snprintf(row->note, sizeof(row->note), "failing in both: %zu of %zu now (%.60s)", cc->nfailed,
			 cc->nmeasured, cc->first_bad);
	}
	return 0;
}

/* The metrics to compare into metrics (*nmetrics of them): o's, else the default ones that exist. Runs
 * on different machines keep the dimensionless ones, and only with cross_machine (*cross_machine set).
 * 0, or -EINVAL with the reason printed. */
static int choose_metrics(const struct sl_cmp_run *base, const struct sl_cmp_run *cur, const struct sl_cmp_options *o,
			  struct sl_cmp_metric *metrics, size_t *nmetrics, bool *cross_machine)
{
	if (o->nmetrics) {
		for (int i = 0; i < o->nmetrics && i < SL_CMP_MAX_METRICS; i++)
			metrics[(*nmetrics)++] = o->metrics[i];
	} else {
		for (size_t i = 0; sl_cmp_default_metrics[i]; i++)
			if (sl_cmp_metric_find(sl_cmp_default_metrics[i], &metrics[*nmetrics]))
				(*nmetrics)++;
	}
	if (strcmp(base->fingerprint, cur->fingerprint) != 0) {
		size_t kept = 0;

		for (size_t i = 0; i < *nmetrics; i++) {
			if (metrics[i].dimensionless) {
				metrics[kept++] = metrics[i];
				continue;
			}
			if (!o->cross_machine) {
				sl_err("different machines (fingerprint '%s' in %s/meta.json, '%s' in %s/meta.json): "
				       "absolute metrics such as %s are not comparable; --cross-machine compares speedup, "
				       "efficiency and cores_busy only", base->fingerprint, base->dir, cur->fingerprint,
				       cur->dir, metrics[i].name);
				return -EINVAL;
			}
			if (o->nmetrics) {
				sl_err("--cross-machine compares dimensionless metrics only; '%s' is absolute", metrics[i].name);
				return -EINVAL;
			}
		}
		*nmetrics = kept;
		*cross_machine = true;
		if (!*nmetrics) {
			sl_err("different machines and no dimensionless metric to compare");
			return -EINVAL;
		}
	}
	return 0;
}

int sl_cmp_compare(const struct sl_cmp_run *base, const struct sl_cmp_run *cur, const struct sl_cmp_options *o,
		   struct sl_cmp_result *res)
{
	struct sl_cmp_metric metrics[SL_CMP_MAX_METRICS];
	struct match_axis *ax = NULL;
	char **ckeys = NULL;
	bool *taken = NULL;
	size_t nmetrics = 0, nax = 0, cap = 0, unmatched = 0;
	int err = -EINVAL;

	memset(res, 0, sizeof(*res));
	snprintf(res->experiment, sizeof(res->experiment), "%s", base->experiment);
	snprintf(res->base_dir, sizeof(res->base_dir), "%s", base->dir);
	snprintf(res->cur_dir, sizeof(res->cur_dir), "%s", cur->dir);
	snprintf(res->base_commit, sizeof(res->base_commit), "%s", base->commit);
	snprintf(res->cur_commit, sizeof(res->cur_commit), "%s", cur->commit);
	snprintf(res->base_fingerprint, sizeof(res->base_fingerprint), "%s", base->fingerprint);
	snprintf(res->cur_fingerprint, sizeof(res->cur_fingerprint), "%s", cur->fingerprint);
	res->alpha = o->alpha;
	res->threshold_pct = o->threshold_pct;
	snprintf(res->thresholds_from, sizeof(res->thresholds_from), "%s", o->thresholds_from);
	res->base_load = base->load_per_cpu;
	res->cur_load = cur->load_per_cpu;
	if (strcmp(base->experiment, cur->experiment) != 0) {
		sl_err("different experiments: %s/meta.json is '%s' but %s/meta.json is '%s'", base->dir,
		       base->experiment, cur->dir, cur->experiment);
		goto out_fail;
	}
	/* another workload measures something else: its parameters (cost, n) may differ, not the workload */
	if (!axis_overlaps(base, cur, "workload")) {
		char bw[256], cw[256];

		axis_values(base, axis_index(base, "workload"), bw, sizeof(bw));
		axis_values(cur, axis_index(cur, "workload"), cw, sizeof(cw));
		sl_err("different workloads: %s/runs.csv runs '%s' but %s/runs.csv runs '%s' (only a workload's "
		       "parameters may differ between the runs compared)", base->dir, bw, cur->dir, cw);
		goto out_fail;
	}
	if (choose_metrics(base, cur, o, metrics, &nmetrics, &res->cross_machine) < 0)
		goto out_fail;
	ax = calloc(base->naxes + cur->naxes + 1, sizeof(*ax));
	ckeys = calloc(cur->nconfigs + 1, sizeof(*ckeys));
	taken = calloc(cur->nconfigs + 1, sizeof(*taken));
	if (!ax || !ckeys || !taken)
		goto out_nomem;
	if (match_axes(base, cur, res, ax, &nax) < 0)
		goto out_nomem;
	for (size_t j = 0; j < cur->nconfigs; j++)
		if (!(ckeys[j] = match_key(&cur->configs[j], ax, nax, true)))
			goto out_nomem;
	for (size_t i = 0; i < base->nconfigs; i++) {
		const struct sl_cmp_config *cb = &base->configs[i], *cc = NULL;
		char *key = match_key(cb, ax, nax, false), *label, **nl;
		size_t match;

		if (!key)
			goto out_nomem;
		for (size_t j = 0; j < cur->nconfigs; j++)
			if (!taken[j] && strcmp(ckeys[j], key) == 0) {
				cc = &cur->configs[j];
				taken[j] = true;
				break;
			}
		free(key);
		if (!cc) {
			unmatched++;
			continue;
		}
		label = match_label(cb, ax, nax);
		nl = realloc(res->labels, (res->nlabels + 1) * sizeof(*nl));
		if (!label || !nl) {
			free(label);
			if (nl)
				res->labels = nl;
			goto out_nomem;
		}
		res->labels = nl;
		match = res->nlabels;
		res->labels[res->nlabels++] = label;
		if (compare_status(cb, cc, match, res, &cap) < 0)
			goto out_nomem;
		if (!cb->nok || !cc->nok) {
			if (sl_cmp_add_note(res, "%s: no successful repetition in the %s run (%s)", label,
				     cb->nok ? "current" : "base", cb->nok ? cc->first_bad : cb->first_bad) < 0)
				goto out_nomem;
			continue;
		}
		for (size_t k = 0; k < nmetrics; k++)
			if (compare_metric(base, cb, cur, cc, &metrics[k], match, label, o, res, &cap) < 0)
				goto out_nomem;
	}
	if (!res->nlabels) {
		sl_err("no configuration of %s/runs.csv matches one of %s/runs.csv (compared on the axes that vary)",
		       cur->dir, base->dir);
		goto out_fail;
	}
	if (unmatched && sl_cmp_add_note(res, "%zu configuration(s) of the base run have no match in the current run",
				  unmatched) < 0)
		goto out_nomem;
	{
		size_t extra = 0;

		for (size_t j = 0; j < cur->nconfigs; j++)
			extra += !taken[j];
		if (extra && sl_cmp_add_note(res, "%zu configuration(s) of the current run have no match in the base run",
				      extra) < 0)
			goto out_nomem;
	}
	if (sl_cmp_fdr_decide(res, o->alpha) < 0)
		goto out_nomem;
	for (size_t i = 0; i < res->nrows; i++)
		res->counts[res->rows[i].verdict]++;
	sl_cmp_overall_verdict(res);
	sl_cmp_geomean_summary(res, metrics, nmetrics);
	err = 0;
	goto out_free;

out_nomem:
	sl_err("compare: out of memory");
	err = -ENOMEM;
out_fail:
	sl_cmp_result_free(res);
out_free:
	if (ckeys)
		for (size_t j = 0; j < cur->nconfigs; j++)
			free(ckeys[j]);
	free(ckeys);
	free(taken);
	free(ax);
	return err;
}

/* ---- calibration from A/A runs ---- */

#define SL_CMP_CALIBRATION_MARGIN 1.5   /* threshold = margin x the largest A/A change seen */

int sl_cmp_calibrate(const struct sl_cmp_run *runs, size_t n, const struct sl_cmp_options *o,
		     struct sl_cmp_options *out, FILE *f)
{
	struct { char metric[SL_NAME_LEN]; double worst; size_t rows; } seen[SL_CMP_MAX_METRICS];
	size_t nseen = 0;

	if (n < 2 || n % 2) {
		sl_err("calibration needs pairs of identical runs (got %zu run%s)", n, n == 1 ? "" : "s");
		return -EINVAL;
	}
	*out = *o;
	for (size_t i = 0; i < n; i += 2) {
		struct sl_cmp_result res;

		if (sl_cmp_compare(&runs[i], &runs[i + 1], o, &res) < 0)
			return -EINVAL;
		if (res.params[0]) {
			sl_err("%s and %s are not identical runs: %s", runs[i].dir, runs[i + 1].dir, res.params);
			sl_cmp_result_free(&res);
			return -EINVAL;
		}
		for (size_t r = 0; r < res.nrows; r++) {
			const struct sl_cmp_row *row = &res.rows[r];
			size_t k = 0;

			if (row->metric.kind == SL_CMP_STATUS || !isfinite(row->change_pct))
				continue;
			while (k < nseen && strcmp(seen[k].metric, row->metric.name) != 0)
				k++;
			if (k == nseen) {
				if (nseen == SL_CMP_MAX_METRICS)
					continue;
				snprintf(seen[k].metric, SL_NAME_LEN, "%s", row->metric.name);
				seen[k].worst = 0;
				seen[k].rows = 0;
				nseen++;
			}
			seen[k].worst = fmax(seen[k].worst, fabs(row->change_pct));
			seen[k].rows++;
		}
		sl_cmp_result_free(&res);
	}
	fprintf(f, "; calibrated from %zu pairs of identical runs of '%s' on this machine (%s and the others):\n"
		   "; per metric, %.1f x the largest change between two identical runs, at least the default\n"
		   "[compare]\n", n / 2, runs[0].experiment, runs[0].dir, SL_CMP_CALIBRATION_MARGIN);
	for (size_t k = 0; k < nseen; k++) {
		double thr = fmin(1000, fmax(o->threshold_pct, ceil(seen[k].worst * SL_CMP_CALIBRATION_MARGIN * 10) / 10));
		char key[SL_NAME_LEN + 16], value[32], msg[256];

		snprintf(key, sizeof(key), "threshold.%s", seen[k].metric);
		snprintf(value, sizeof(value), "%g", thr);
		fprintf(f, "; largest A/A change %.2f%% over %zu rows\n%s = %s\n", seen[k].worst, seen[k].rows, key,
			value);
		(void)sl_cmp_threshold_set(out, key, value, msg, sizeof(msg));   /* a known metric, <= 1000 */
	}
	return (int)(n / 2);
}
