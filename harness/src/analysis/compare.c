/* compare.c: reads two result directories (untrusted files), matches their configurations by axis
 * values and gives each metric a verdict: regression, improvement, unchanged or inconclusive.
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
#include <ini.h>
#include <limits.h>
#include <stdlib.h>
#include <string.h>

#include "analysis/compare.h"
#include "core/csv.h"
#include "core/stats.h"

/* A value above this in any metric column is taken for garbage (1e12 s is 30,000 years). */
#define SL_CMP_MAX_VALUE 1e12
#define SL_CMP_MIN_REPS 3        /* below: no verdict */
#define SL_CMP_MWU_REPS 5        /* from here: Mann-Whitney, below: CI overlap */
#define SL_CMP_RANK_ALPHA 0.05   /* the rank condition's level */
#define SL_CMP_CI_LEVEL 0.95     /* asked of the medians' order-statistic CIs (the level they have is shown) */
#define SL_CMP_MARKDOWN_ALL_ROWS 60   /* a longer table keeps only the rows that are not unchanged */

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

static int metric_column(const char *name)
{
	for (size_t i = 0; i < sl_metric_ncolumns; i++)
		if (strcmp(sl_metric_columns[i].name, name) == 0)
			return (int)i;
	return -1;
}

/* Fill m for name; false when unknown. Never prints. */
bool sl_cmp_metric_find(const char *name, struct sl_cmp_metric *m)
{
	int c;

	memset(m, 0, sizeof(*m));
	m->column = -1;
	if (strcmp(name, "runtime") == 0)
		name = "wall_s";
	if (strcmp(name, "speedup") == 0 || strcmp(name, "efficiency") == 0) {
		snprintf(m->name, sizeof(m->name), "%s", name);
		m->kind = name[0] == 's' ? SL_CMP_SPEEDUP : SL_CMP_EFFICIENCY;
		m->better = 1;
		m->dimensionless = true;
		return true;
	}
	c = metric_column(name);
	if (c < 0)
		return false;
	snprintf(m->name, sizeof(m->name), "%s", name);
	m->kind = SL_CMP_RAW;
	m->column = c;
	m->better = sl_metric_columns[c].better;
	m->dimensionless = strcmp(name, "cores_busy") == 0;
	return true;
}

/* The closest known metric name to word, or NULL. */
static const char *metric_guess(const char *word)
{
	static const char *names[64];
	size_t n = 0;

	names[n++] = "speedup";
	names[n++] = "efficiency";
	names[n++] = "runtime";
	for (size_t i = 0; i < sl_metric_ncolumns && n < 63; i++)
		names[n++] = sl_metric_columns[i].name;
	names[n] = NULL;
	return sl_did_you_mean(word, names);
}

int sl_cmp_metric_lookup(const char *name, struct sl_cmp_metric *m)
{
	const char *guess;

	if (sl_cmp_metric_find(name, m))
		return 0;
	guess = metric_guess(name);
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

/* ---- options and thresholds ---- */

void sl_cmp_options_init(struct sl_cmp_options *o)
{
	memset(o, 0, sizeof(*o));
	o->threshold_pct = 5;
	o->alpha = 0.05;
	o->bootstrap = 2000;
	o->seed = 0x5eed1ab5ULL;
}

double sl_cmp_threshold(const struct sl_cmp_options *o, const char *metric)
{
	for (int i = 0; i < o->nthresholds; i++)
		if (strcmp(o->thresholds[i].metric, metric) == 0)
			return o->thresholds[i].pct;
	return o->threshold_pct;
}

struct ini_ctx {
	struct sl_cmp_options *o;
	char msg[256];
};

static bool parse_pct(const char *value, double *pct)
{
	return sl_parse_double(value, pct) && *pct >= 0 && *pct <= 1000;
}

int sl_cmp_threshold_set(struct sl_cmp_options *o, const char *key, const char *value, char *msg, size_t len)
{
	struct sl_cmp_metric m;
	double pct;

	if (strcmp(key, "threshold") == 0) {
		if (!parse_pct(value, &pct))
			goto out_bad_value;
		o->threshold_pct = pct;
		return 0;
	}
	if (strncmp(key, "threshold.", 10) != 0) {
		snprintf(msg, len, "unknown key '%.60s' in [compare] (threshold or threshold.<metric>)", key);
		return -EINVAL;
	}
	if (!sl_cmp_metric_find(key + 10, &m)) {
		const char *guess = metric_guess(key + 10);

		snprintf(msg, len, "unknown metric '%.60s' in '%.80s'%s%s%s", key + 10, key,
			 guess ? " (did you mean '" : "", guess ? guess : "", guess ? "'?)" : "");
		return -EINVAL;
	}
	if (!parse_pct(value, &pct))
		goto out_bad_value;
	for (int i = 0; i < o->nthresholds; i++)
		if (strcmp(o->thresholds[i].metric, m.name) == 0) {
			o->thresholds[i].pct = pct;
			return 0;
		}
	if (o->nthresholds >= SL_CMP_MAX_METRICS) {
		snprintf(msg, len, "more than %d per-metric thresholds", SL_CMP_MAX_METRICS);
		return -EINVAL;
	}
	snprintf(o->thresholds[o->nthresholds].metric, SL_NAME_LEN, "%s", m.name);
	o->thresholds[o->nthresholds++].pct = pct;
	return 0;

out_bad_value:
	snprintf(msg, len, "%.80s = '%.80s': expected a percentage between 0 and 1000", key, value);
	return -EINVAL;
}

static int threshold_key(void *user, const char *section, const char *name, const char *value)
{
	struct ini_ctx *ctx = user;

	if (strcmp(section, "compare") != 0 || ctx->msg[0])
		return 1;   /* keep the first problem */
	return sl_cmp_threshold_set(ctx->o, name, value, ctx->msg, sizeof(ctx->msg)) == 0;
}

int sl_cmp_thresholds_parse(struct sl_cmp_options *o, const char *name, const char *text)
{
	struct ini_ctx ctx = { .o = o };
	int rc = ini_parse_string(text, threshold_key, &ctx);

	if (rc == 0)
		return 0;
	if (rc < 0) {
		sl_err_at(name, 0, "cannot parse: out of memory");
		return -ENOMEM;
	}
	sl_err_at(name, rc, "%s", ctx.msg[0] ? ctx.msg : "syntax error");
	return -EINVAL;
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

/* ---- loading a result directory ---- */

void sl_cmp_run_free(struct sl_cmp_run *r)
{
	for (size_t i = 0; i < r->nconfigs; i++) {
		struct sl_cmp_config *c = &r->configs[i];

		if (c->values)
			for (size_t a = 0; a < r->naxes; a++)
				free(c->values[a]);
		free(c->values);
		free(c->reps);
		free(c->m);
	}
	free(r->configs);
	free(r->axes);
	memset(r, 0, sizeof(*r));
}

static int load_meta(struct sl_cmp_run *r, const char *path, const char *text, size_t len)
{
	json_error_t jerr;
	json_t *meta = json_loadb(text, len, JSON_REJECT_DUPLICATES, &jerr);
	json_t *fp, *exp, *name, *commit;
	int err = -EINVAL;

	if (!meta) {
		sl_err_at(path, jerr.line, "not valid JSON: %s", jerr.text);
		return -EINVAL;
	}
	if (!json_is_object(meta)) {
		sl_err_at(path, 1, "not a JSON object");
		goto out_free_meta;
	}
	fp = json_object_get(meta, "fingerprint");
	if (!json_is_string(fp) || json_string_length(fp) == 0 || json_string_length(fp) >= sizeof(r->fingerprint) ||
	    strlen(json_string_value(fp)) != json_string_length(fp)) {
		sl_err_at(path, 0, "no machine 'fingerprint' (a non-empty string of fewer than %zu bytes)",
			  sizeof(r->fingerprint));
		goto out_free_meta;
	}
	exp = json_object_get(meta, "experiment");
	name = json_is_object(exp) ? json_object_get(exp, "name") : NULL;
	if (!json_is_string(name) || json_string_length(name) == 0 || json_string_length(name) >= SL_NAME_LEN ||
	    strlen(json_string_value(name)) != json_string_length(name)) {
		sl_err_at(path, 0, "no 'experiment' object with a 'name' (a non-empty string of fewer than %d bytes)",
			  SL_NAME_LEN);
		goto out_free_meta;
	}
	snprintf(r->fingerprint, sizeof(r->fingerprint), "%s", json_string_value(fp));
	{
		json_t *load = json_object_get(json_object_get(meta, "preflight"), "load_per_cpu");

		r->load_per_cpu = json_is_number(load) && json_number_value(load) >= 0 ? json_number_value(load) : NAN;
	}
	snprintf(r->experiment, sizeof(r->experiment), "%s", json_string_value(name));
	commit = json_object_get(meta, "git_commit");
	if (!json_is_string(commit))
		commit = json_object_get(meta, "commit");
	if (!json_is_string(commit) && json_is_object(json_object_get(meta, "git")))
		commit = json_object_get(json_object_get(meta, "git"), "commit");
	if (json_is_string(commit))
		snprintf(r->commit, sizeof(r->commit), "%s", json_string_value(commit));
	err = 0;
out_free_meta:
	json_decref(meta);
	return err;
}

static struct sl_cmp_config *config_find(struct sl_cmp_run *r, int id, size_t *hint)
{
	if (*hint < r->nconfigs && r->configs[*hint].id == id)
		return &r->configs[*hint];
	for (size_t i = 0; i < r->nconfigs; i++)
		if (r->configs[i].id == id) {
			*hint = i;
			return &r->configs[i];
		}
	return NULL;
}

static int config_add(struct sl_cmp_run *r, int id, int line, const struct sl_csv *csv, size_t row,
		      const int *axis_col, size_t *cap, struct sl_cmp_config **out)
{
	struct sl_cmp_config *c;

	if (r->nconfigs == *cap) {
		size_t ncap = *cap ? *cap * 2 : 16;
		struct sl_cmp_config *n = realloc(r->configs, ncap * sizeof(*n));

		if (!n)
			return -ENOMEM;
		r->configs = n;
		*cap = ncap;
	}
	c = &r->configs[r->nconfigs];
	memset(c, 0, sizeof(*c));
	c->id = id;
	c->line = line;
	c->one_process = -1;
	c->values = calloc(r->naxes ? r->naxes : 1, sizeof(*c->values));
	if (!c->values)
		return -ENOMEM;
	r->nconfigs++;
	for (size_t a = 0; a < r->naxes; a++) {
		c->values[a] = strdup(sl_csv_cell(csv, row, axis_col[a]));
		if (!c->values[a])
			return -ENOMEM;
	}
	*out = c;
	return 0;
}

static int config_add_ok(struct sl_cmp_config *c, int rep, const double *m)
{
	int *reps = realloc(c->reps, (c->nok + 1) * sizeof(*reps));
	double *mm;

	if (!reps)
		return -ENOMEM;
	c->reps = reps;
	mm = realloc(c->m, (c->nok + 1) * sl_metric_ncolumns * sizeof(*mm));
	if (!mm)
		return -ENOMEM;
	c->m = mm;
	c->reps[c->nok] = rep;
	memcpy(c->m + c->nok * sl_metric_ncolumns, m, sl_metric_ncolumns * sizeof(*m));
	c->nok++;
	return 0;
}

static bool is_failure(const char *status)
{
	return strncmp(status, "skipped", 7) != 0;
}

/* The key of a configuration: its values on the chosen axes, joined by an unprintable separator
 * (skip: an axis left out, or -1). */
static char *config_key(const struct sl_cmp_config *c, size_t naxes, long skip, const char *replace)
{
	size_t len = 1;
	char *k, *p;

	for (size_t a = 0; a < naxes; a++)
		len += strlen((long)a == skip ? replace : c->values[a]) + 1;
	k = malloc(len);
	if (!k)
		return NULL;
	p = k;
	for (size_t a = 0; a < naxes; a++) {
		const char *v = (long)a == skip ? replace : c->values[a];
		size_t l = strlen(v);

		memcpy(p, v, l);
		p += l;
		*p++ = '\x1f';
	}
	*p = '\0';
	return k;
}

struct keyed {
	char *key;
	size_t idx;
};

static int cmp_keyed(const void *a, const void *b)
{
	return strcmp(((const struct keyed *)a)->key, ((const struct keyed *)b)->key);
}

/* Check that no two configurations share their axis values and find each one's 1-process
 * configuration. */
static int index_configs(struct sl_cmp_run *r, const char *runs_path)
{
	struct keyed *keys = calloc(r->nconfigs ? r->nconfigs : 1, sizeof(*keys));
	int err = 0;

	if (!keys)
		return -ENOMEM;
	for (size_t i = 0; i < r->nconfigs; i++) {
		keys[i].key = config_key(&r->configs[i], r->naxes, -1, NULL);
		keys[i].idx = i;
		if (!keys[i].key) {
			err = -ENOMEM;
			goto out_free_keys;
		}
	}
	qsort(keys, r->nconfigs, sizeof(*keys), cmp_keyed);
	for (size_t i = 1; i < r->nconfigs; i++)
		if (strcmp(keys[i - 1].key, keys[i].key) == 0) {
			const struct sl_cmp_config *a = &r->configs[keys[i - 1].idx], *b = &r->configs[keys[i].idx];

			sl_err_at(runs_path, b->line, "configurations %d and %d have the same axis values (line %d)",
				  a->id, b->id, a->line);
			err = -EINVAL;
			goto out_free_keys;
		}
	if (r->processes_axis < 0)
		goto out_free_keys;
	for (size_t i = 0; i < r->nconfigs; i++) {
		struct sl_cmp_config *c = &r->configs[i];
		struct keyed probe, *hit;

		if (!sl_parse_long(c->values[r->processes_axis], &c->processes) || c->processes < 1 ||
		    c->processes > 1000000) {
			c->processes = 0;
			continue;
		}
		if (c->processes == 1)
			continue;
		probe.key = config_key(c, r->naxes, r->processes_axis, "1");
		if (!probe.key) {
			err = -ENOMEM;
			goto out_free_keys;
		}
		hit = bsearch(&probe, keys, r->nconfigs, sizeof(*keys), cmp_keyed);
		free(probe.key);
		if (hit)
			c->one_process = (int)hit->idx;
	}
out_free_keys:
	for (size_t i = 0; i < r->nconfigs; i++)
		free(keys[i].key);
	free(keys);
	return err;
}

static int load_runs(struct sl_cmp_run *r, const char *path, const char *text, size_t len)
{
	struct sl_csv csv;
	int *axis_col = NULL, *metric_of_col = NULL;
	double *m = NULL;
	size_t first_metric, last, cap = 0, hint = 0;
	int err;

	err = sl_csv_parse(path, text, len, &csv, 0);
	if (err < 0)
		return err;
	err = -EINVAL;
	if (csv.ncols < 4 || strcmp(csv.header[0], "config") != 0 || strcmp(csv.header[1], "rep") != 0 ||
	    strcmp(csv.header[csv.ncols - 1], "status") != 0) {
		sl_err_at(path, 1, "not a runs.csv header (expected config, rep, the axes, the metrics, status)");
		goto out_free_csv;
	}
	last = csv.ncols - 1;
	for (first_metric = 2; first_metric < last; first_metric++)
		if (metric_column(csv.header[first_metric]) >= 0)
			break;
	if (first_metric == last) {
		sl_err_at(path, 1, "no metric columns in the header (expected wall_s and the others)");
		goto out_free_csv;
	}
	if (sl_csv_col(&csv, "wall_s") < 0) {
		sl_err_at(path, 1, "no wall_s column");
		goto out_free_csv;
	}
	metric_of_col = malloc(csv.ncols * sizeof(*metric_of_col));
	m = malloc(sl_metric_ncolumns * sizeof(*m));
	r->naxes = first_metric - 2;
	axis_col = malloc((r->naxes ? r->naxes : 1) * sizeof(*axis_col));
	r->axes = calloc(r->naxes ? r->naxes : 1, sizeof(*r->axes));
	if (!metric_of_col || !m || !axis_col || !r->axes) {
		err = -ENOMEM;
		sl_err_at(path, 0, "out of memory");
		goto out_free;
	}
	r->processes_axis = -1;
	for (size_t a = 0; a < r->naxes; a++) {
		const char *h = csv.header[2 + a];

		if (strlen(h) >= SL_NAME_LEN || strcmp(h, "config") == 0 || strcmp(h, "rep") == 0 ||
		    strcmp(h, "status") == 0) {
			sl_err_at(path, 1, "bad axis column name '%.60s'", h);
			goto out_free;
		}
		snprintf(r->axes[a], SL_NAME_LEN, "%s", h);
		axis_col[a] = (int)(2 + a);
		if (strcmp(h, "processes") == 0)
			r->processes_axis = (int)a;
	}
	for (size_t c = first_metric; c < last; c++) {
		metric_of_col[c] = metric_column(csv.header[c]);
		if (metric_of_col[c] < 0) {
			sl_err_at(path, 1, "unknown column '%.60s' among the metric columns", csv.header[c]);
			goto out_free;
		}
	}
	if (csv.nrows == 0) {
		sl_err_at(path, 2, "no rows after the header");
		goto out_free;
	}
	for (size_t row = 0; row < csv.nrows; row++) {
		int line = csv.lines[row];
		const char *status = csv.rows[row][last];
		struct sl_cmp_config *c;
		long id, rep;

		if (!sl_parse_long(csv.rows[row][0], &id) || id < 0 || id > INT_MAX) {
			sl_err_at(path, line, "config '%.40s' is not a non-negative integer", csv.rows[row][0]);
			goto out_free;
		}
		if (!sl_parse_long(csv.rows[row][1], &rep) || rep < -1000000 || rep > 1000000) {
			sl_err_at(path, line, "rep '%.40s' is not an integer", csv.rows[row][1]);
			goto out_free;
		}
		if (!status[0]) {
			sl_err_at(path, line, "empty status");
			goto out_free;
		}
		for (size_t k = 0; k < sl_metric_ncolumns; k++)
			m[k] = NAN;
		for (size_t col = first_metric; col < last; col++) {
			const char *cell = csv.rows[row][col];
			double v;

			if (!cell[0])
				continue;
			if (!sl_parse_double(cell, &v)) {
				sl_err_at(path, line, "%s: '%.40s' is not a finite number", csv.header[col], cell);
				goto out_free;
			}
			if (v < 0 || v > SL_CMP_MAX_VALUE) {
				sl_err_at(path, line, "%s: %g is out of range (0 to %g)", csv.header[col], v,
					  SL_CMP_MAX_VALUE);
				goto out_free;
			}
			m[metric_of_col[col]] = v;
		}
		c = config_find(r, (int)id, &hint);
		if (!c) {
			err = config_add(r, (int)id, line, &csv, row, axis_col, &cap, &c);
			if (err < 0) {
				sl_err_at(path, line, "out of memory");
				goto out_free;
			}
			err = -EINVAL;
			hint = r->nconfigs - 1;
		} else {
			for (size_t a = 0; a < r->naxes; a++)
				if (strcmp(c->values[a], csv.rows[row][axis_col[a]]) != 0) {
					sl_err_at(path, line, "config %ld: %s is '%.40s' here but '%.40s' on line %d", id,
						  r->axes[a], csv.rows[row][axis_col[a]], c->values[a], c->line);
					goto out_free;
				}
		}
		if (rep < 0)
			continue;   /* warm-up */
		c->nmeasured++;
		if (strcmp(status, "ok") != 0) {
			if (!c->first_bad[0])
				snprintf(c->first_bad, sizeof(c->first_bad), "%s", status);
			c->nfailed += is_failure(status);
			continue;
		}
		if (isnan(m[metric_column("wall_s")]) || m[metric_column("wall_s")] <= 0) {
			sl_err_at(path, line, "status ok without a positive wall_s");
			goto out_free;
		}
		for (size_t k = 0; k < c->nok; k++)
			if (c->reps[k] == (int)rep) {
				sl_err_at(path, line, "config %ld: repetition %ld appears twice", id, rep);
				goto out_free;
			}
		if (config_add_ok(c, (int)rep, m) < 0) {
			err = -ENOMEM;
			sl_err_at(path, line, "out of memory");
			goto out_free;
		}
	}
	err = index_configs(r, path);
	if (err == -ENOMEM)
		sl_err_at(path, 0, "out of memory");
out_free:
	free(axis_col);
	free(metric_of_col);
	free(m);
out_free_csv:
	sl_csv_free(&csv);
	return err;
}

int sl_cmp_run_parse(struct sl_cmp_run *r, const char *dir, const char *meta, size_t metalen,
		     const char *runs, size_t runslen)
{
	char path[600];
	int err;

	memset(r, 0, sizeof(*r));
	snprintf(r->dir, sizeof(r->dir), "%s", dir);
	snprintf(path, sizeof(path), "%s/meta.json", dir);
	err = load_meta(r, path, meta, metalen);
	if (err < 0)
		goto out_free_run;
	snprintf(path, sizeof(path), "%s/runs.csv", dir);
	err = load_runs(r, path, runs, runslen);
	if (err < 0)
		goto out_free_run;
	return 0;

out_free_run:
	sl_cmp_run_free(r);
	return err;
}

int sl_cmp_run_load(const char *dir, struct sl_cmp_run *r)
{
	char path[600];
	char *meta, *runs;
	size_t metalen, runslen;
	int err;

	memset(r, 0, sizeof(*r));
	snprintf(path, sizeof(path), "%s/meta.json", dir);
	meta = sl_read_file_nofollow(path, &metalen);
	if (!meta) {
		err = -errno;
		sl_err_at(path, 0, "cannot read: %s", sl_strerror(errno));
		return err;
	}
	snprintf(path, sizeof(path), "%s/runs.csv", dir);
	runs = sl_read_file_nofollow(path, &runslen);
	if (!runs) {
		err = -errno;
		sl_err_at(path, 0, "cannot read: %s", sl_strerror(errno));
		goto out_free_meta;
	}
	err = sl_cmp_run_parse(r, dir, meta, metalen, runs, runslen);
	free(runs);
out_free_meta:
	free(meta);
	return err;
}

/* ---- statistics of one comparison ---- */

/* Copy the finite values of x into a new array; *n gets their count. NULL only when out of memory. */
static double *finite_copy(const double *x, size_t n, size_t *m)
{
	double *v = malloc((n ? n : 1) * sizeof(*v));

	*m = 0;
	if (!v)
		return NULL;
	for (size_t i = 0; i < n; i++)
		if (isfinite(x[i]))
			v[(*m)++] = x[i];
	return v;
}

/* Whether the row passes both conditions at the per-row level alone (before Benjamini-Hochberg). */
static bool row_significant(const struct sl_cmp_row *row, double cut);
static bool tests_pass(const struct sl_cmp_row *row, double cut);
static bool change_ci_apart_from_zero(const struct sl_cmp_row *row);

/* Set the verdict of row from its filled statistics, significance and detectable effect. Every note
 * says what the numbers beside it show (tested): a change is only called unchanged when the row
 * could have detected one of the threshold's size. */
static void decide(struct sl_cmp_row *row)
{
	double thr = row->threshold_pct, ch;
	bool beyond, worse, alone;

	row->note[0] = '\0';
	if (row->nmin < SL_CMP_MIN_REPS) {
		row->verdict = SL_VERDICT_INCONCLUSIVE;
		snprintf(row->note, sizeof(row->note), "fewer than %d repetitions", SL_CMP_MIN_REPS);
		return;
	}
	if (row->base.median == 0 && row->cur.median == 0) {
		row->change_pct = row->change_lo_pct = row->change_hi_pct = 0;
		row->verdict = row->significant ? SL_VERDICT_INCONCLUSIVE : SL_VERDICT_UNCHANGED;
		return;
	}
	if (!(row->base.median > 0) || !isfinite(row->cur.median)) {
		row->verdict = SL_VERDICT_INCONCLUSIVE;
		snprintf(row->note, sizeof(row->note), "base median is 0: no relative change");
		return;
	}
	ch = row->change_pct;
	if (!isfinite(ch)) {
		row->verdict = SL_VERDICT_INCONCLUSIVE;
		snprintf(row->note, sizeof(row->note), "change not computable");
		return;
	}
	beyond = fabs(ch) > thr;
	if (row->significant && beyond) {
		if (row->metric.better == 0) {
			row->verdict = SL_VERDICT_CHANGED;
			return;
		}
		worse = row->metric.better < 0 ? ch > 0 : ch < 0;
		row->verdict = worse ? SL_VERDICT_REGRESSION : SL_VERDICT_IMPROVEMENT;
		return;
	}
	if (row->significant) {
		row->verdict = SL_VERDICT_UNCHANGED;
		snprintf(row->note, sizeof(row->note), "significant but within the %g%% threshold", thr);
		return;
	}
	if (beyond && tests_pass(row, row->p_cut) && !change_ci_apart_from_zero(row)) {
		row->verdict = SL_VERDICT_INCONCLUSIVE;
		snprintf(row->note, sizeof(row->note), "the tests pass (Welch p %.2g) but the CI of the change "
			 "[%+.1f, %+.1f] includes 0", row->p, row->change_lo_pct, row->change_hi_pct);
		return;
	}
	/* significant alone, not among the comparison's rows: the family-wide step decided */
	alone = row->p_cut < SL_CMP_RANK_ALPHA && row_significant(row, SL_CMP_RANK_ALPHA);
	if (alone && beyond) {
		row->verdict = SL_VERDICT_INCONCLUSIVE;
		snprintf(row->note, sizeof(row->note), "significant alone (Welch p %.2g) but not after "
			 "Benjamini-Hochberg over the comparison's rows (cut %.2g)", row->p, row->p_cut > 0 ? row->p_cut : 0);
		return;
	}
	if (row->mde_pct <= thr) {
		row->verdict = SL_VERDICT_UNCHANGED;
		if (alone)
			snprintf(row->note, sizeof(row->note), "Welch p %.2g alone, not significant after "
				 "Benjamini-Hochberg (cut %.2g); within the %g%% threshold", row->p,
				 row->p_cut > 0 ? row->p_cut : 0, thr);
		return;
	}
	row->verdict = SL_VERDICT_INCONCLUSIVE;
	if (row->more_reps > 0)
		snprintf(row->note, sizeof(row->note), "not significant, and it could only have detected %.*f%% "
			 "(threshold %g%%): about %ld more repetitions on each side would reach it",
			 row->mde_pct < 10 ? 1 : 0, row->mde_pct, thr,
			 row->more_reps);
	else
		snprintf(row->note, sizeof(row->note), "not significant, and it could only have detected %.*f%% "
			 "(threshold %g%%)", row->mde_pct < 10 ? 1 : 0, row->mde_pct, thr);
}

static bool cis_apart(const struct sl_cmp_side *a, const struct sl_cmp_side *b)
{
	return a->ci_hi < b->ci_lo || b->ci_hi < a->ci_lo;
}

/* Continued fraction of the incomplete beta function (Lentz's method). */
static double beta_cf(double a, double b, double x)
{
	const double tiny = 1e-300;
	double c = 1, d = 1 - (a + b) * x / (a + 1), h;

	d = 1 / (fabs(d) < tiny ? tiny : d);
	h = d;
	for (int m = 1; m <= 300; m++) {
		double aa = m * (b - m) * x / ((a - 1 + 2 * m) * (a + 2 * m)), del;

		d = 1 + aa * d;
		d = 1 / (fabs(d) < tiny ? tiny : d);
		c = 1 + aa / c;
		c = fabs(c) < tiny ? tiny : c;
		h *= d * c;
		aa = -(a + m) * (a + b + m) * x / ((a + 2 * m) * (a + 1 + 2 * m));
		d = 1 + aa * d;
		d = 1 / (fabs(d) < tiny ? tiny : d);
		c = 1 + aa / c;
		c = fabs(c) < tiny ? tiny : c;
		del = d * c;
		h *= del;
		if (fabs(del - 1) < 1e-14)
			break;
	}
	return h;
}

/* Regularised incomplete beta function I_x(a, b). */
static double beta_inc(double a, double b, double x)
{
	double bt;

	if (x <= 0)
		return 0;
	if (x >= 1)
		return 1;
	bt = exp(lgamma(a + b) - lgamma(a) - lgamma(b) + a * log(x) + b * log1p(-x));
	return x < (a + 1) / (a + b + 2) ? bt * beta_cf(a, b, x) / a : 1 - bt * beta_cf(b, a, 1 - x) / b;
}

/* Two-sided p of Student's t with df degrees of freedom. */
static double t_two_sided_p(double t, double df)
{
	if (!isfinite(t))
		return isnan(t) ? NAN : 0;
	return beta_inc(df / 2, 0.5, df / (df + t * t));
}

static bool all_positive(const double *a, size_t na)
{
	for (size_t i = 0; i < na; i++)
		if (!(a[i] > 0))
			return false;
	return true;
}

/* Mean and sample variance of a (of its logarithms when logs). */
static void moments(const double *a, size_t n, bool logs, double *mean, double *var)
{
	double m = 0, v = 0;

	for (size_t i = 0; i < n; i++)
		m += logs ? log(a[i]) : a[i];
	m /= (double)n;
	for (size_t i = 0; i < n; i++)
		v += pow((logs ? log(a[i]) : a[i]) - m, 2);
	*mean = m;
	*var = n > 1 ? v / (double)(n - 1) : 0;
}

/* Welch's degrees of freedom for variances of the means va, vb. */
static double welch_df(double va, size_t na, double vb, size_t nb)
{
	double se2 = va + vb;

	return se2 * se2 / (va * va / (double)(na - 1) + vb * vb / (double)(nb - 1));
}

/* Welch's t-test of a against b (finite values), on logarithms when all are positive: the noise of
 * run times is multiplicative. Two-sided p; NAN with fewer than 2 values on a side. */
static double welch_p(const double *a, size_t na, const double *b, size_t nb)
{
	double ma, mb, va, vb, se2, t;
	bool logs;

	if (na < 2 || nb < 2)
		return NAN;
	logs = all_positive(a, na) && all_positive(b, nb);
	moments(a, na, logs, &ma, &va);
	moments(b, nb, logs, &mb, &vb);
	va /= (double)na;   /* variance of the mean */
	vb /= (double)nb;
	se2 = va + vb;
	if (!(se2 > 0))
		return ma == mb ? 1 : 0;
	t = (ma - mb) / sqrt(se2);
	return t_two_sided_p(t, welch_df(va, na, vb, nb));
}

/* The q-quantile (q in (0.5, 1)) of Student's t with df degrees of freedom, by bisection. */
static double t_quantile(double q, double df)
{
	double lo = 0, hi = 1e4, target = 2 * (1 - q);

	for (int i = 0; i < 100; i++) {
		double mid = (lo + hi) / 2;

		if (t_two_sided_p(mid, df) > target)
			lo = mid;
		else
			hi = mid;
	}
	return (lo + hi) / 2;
}

#define SL_CMP_POWER 0.8           /* the power of the minimum detectable effect */
#define SL_CMP_MAX_MORE_REPS 100000

/* The change (on the test's scale: log ratio, or absolute) that Welch's test at SL_CMP_RANK_ALPHA
 * detects with SL_CMP_POWER, for sample variances va, vb and sizes na, nb. */
static double detectable(double va, size_t na, double vb, size_t nb)
{
	double sa = va / (double)na, sb = vb / (double)nb, df;

	if (!(sa + sb > 0))
		return 0;
	df = welch_df(sa, na, sb, nb);
	if (!isfinite(df) || df < 1)
		df = 1;
	return (t_quantile(1 - SL_CMP_RANK_ALPHA / 2, df) + t_quantile(SL_CMP_POWER, df)) * sqrt(sa + sb);
}

/* The row's minimum detectable effect (percent) from its own noise and n, and how many more
 * repetitions on each side would bring it within the threshold. */
static void row_power(struct sl_cmp_row *row, const double *b, size_t nb, const double *c, size_t nc)
{
	double mb, vb, mc, vc, d, want;
	bool logs;
	size_t k;

	row->mde_pct = INFINITY;
	row->more_reps = -1;
	if (nb < SL_CMP_MIN_REPS || nc < SL_CMP_MIN_REPS)
		return;
	logs = all_positive(b, nb) && all_positive(c, nc);
	moments(b, nb, logs, &mb, &vb);
	moments(c, nc, logs, &mc, &vc);
	if (!logs && mb == 0)
		return;
	d = detectable(vb, nb, vc, nc);
	row->mde_pct = logs ? expm1(d) * 100 : d / fabs(mb) * 100;
	want = logs ? log1p(row->threshold_pct / 100) : row->threshold_pct / 100 * fabs(mb);
	if (d <= want) {
		row->more_reps = 0;
		return;
	}
	/* the normal approximation's n, then up until the t quantiles agree */
	k = (size_t)ceil(pow(2.8 / want, 2) * (vb + vc));
	k = k > nb ? k - nb : 1;
	while (k < SL_CMP_MAX_MORE_REPS && detectable(vb, nb + k, vc, nc + k) > want)
		k = k < 16 ? k + 1 : k + k / 16;
	row->more_reps = k < SL_CMP_MAX_MORE_REPS ? (long)k : -1;
}

double sl_cmp_welch_p(const double *a, size_t na, const double *b, size_t nb)
{
	size_t ma, mb;
	double *x = finite_copy(a, na, &ma), *y = finite_copy(b, nb, &mb), p = NAN;

	if (x && y)
		p = welch_p(x, ma, y, mb);
	free(x);
	free(y);
	return p;
}

/* Fill the tests of a row from its two samples (finite values): Welch's p, the rank condition. */
static void row_test(struct sl_cmp_row *row, const double *b, size_t nb, const double *c, size_t nc)
{
	row->nmin = nb < nc ? nb : nc;
	row->mde_pct = INFINITY;
	row->more_reps = -1;
	row->ci_test = row->nmin < SL_CMP_MWU_REPS;
	row->cis_apart = cis_apart(&row->base, &row->cur);
	row->p = row->p_rank = NAN;
	if (row->nmin < SL_CMP_MIN_REPS)
		return;
	row->p = welch_p(b, nb, c, nc);
	if (!row->ci_test)
		row->p_rank = sl_stats_mann_whitney_p(b, nb, c, nc);
	row_power(row, b, nb, c, nc);
}

/* Significance of a row at the p-value cut (the Benjamini-Hochberg one over a comparison). */
/* The two tests at the p-value cut: Welch's p, and the rank condition. */
static bool tests_pass(const struct sl_cmp_row *row, double cut)
{
	if (row->nmin < SL_CMP_MIN_REPS || !isfinite(row->p) || row->p > cut)
		return false;
	return row->ci_test ? row->cis_apart : row->p_rank < SL_CMP_RANK_ALPHA;
}

/* Whether the 95% CI of the change leaves out 0 (true when it could not be computed). */
static bool change_ci_apart_from_zero(const struct sl_cmp_row *row)
{
	if (!isfinite(row->change_lo_pct) || !isfinite(row->change_hi_pct))
		return true;
	return row->change_lo_pct > 0 || row->change_hi_pct < 0;
}

/* Significance of a row at the p-value cut: both tests, and a change whose CI leaves out 0, so that
 * a verdict never stands beside an interval that says "maybe no change" (seen on a loaded machine:
 * Welch and U passed, the change +28% [-1.9, +60]). */
static bool row_significant(const struct sl_cmp_row *row, double cut)
{
	return tests_pass(row, cut) && change_ci_apart_from_zero(row);
}

void sl_cmp_samples(const double *base, size_t nb, const double *cur, size_t nc, double threshold_pct,
		    const struct sl_cmp_options *o, uint64_t seed, struct sl_cmp_row *row)
{
	size_t mb, mc;
	double *b = finite_copy(base, nb, &mb), *c = finite_copy(cur, nc, &mc);
	double lo, hi;

	row->threshold_pct = threshold_pct;
	row->p = NAN;
	row->change_pct = row->change_lo_pct = row->change_hi_pct = NAN;
	row->base = (struct sl_cmp_side){ NAN, NAN, NAN, NAN, mb };
	row->cur = (struct sl_cmp_side){ NAN, NAN, NAN, NAN, mc };
	row->p_cut = o->alpha;
	row->note[0] = '\0';
	if (!b || !c) {
		row->verdict = SL_VERDICT_INCONCLUSIVE;
		snprintf(row->note, sizeof(row->note), "out of memory");
		goto out_free;
	}
	row->base.median = sl_stats_median(b, mb);
	row->cur.median = sl_stats_median(c, mc);
	row->base.level = sl_stats_median_ci(b, mb, SL_CMP_CI_LEVEL, &row->base.ci_lo, &row->base.ci_hi);
	row->cur.level = sl_stats_median_ci(c, mc, SL_CMP_CI_LEVEL, &row->cur.ci_lo, &row->cur.ci_hi);
	if (row->base.median > 0) {
		row->change_pct = (row->cur.median / row->base.median - 1) * 100;
		sl_stats_bootstrap_ratio_ci(c, mc, b, mb, o->bootstrap, 0.95, seed + 2, &lo, &hi);
		row->change_lo_pct = (lo - 1) * 100;
		row->change_hi_pct = (hi - 1) * 100;
	}
	row_test(row, b, mb, c, mc);
	row->significant = row_significant(row, o->alpha);
	decide(row);
out_free:
	free(b);
	free(c);
}

/* Ratios t1[r] / tp[r] of the repetitions numbered alike; returns how many (out has room for np). */
static size_t paired_ratios(const double *t1, const int *r1, size_t n1, const double *tp, const int *rp,
			    size_t np, double scale, double *out)
{
	size_t k = 0;

	for (size_t i = 0; i < np; i++)
		for (size_t j = 0; j < n1; j++)
			if (r1[j] == rp[i] && isfinite(t1[j]) && isfinite(tp[i]) && tp[i] > 0) {
				out[k++] = t1[j] / tp[i] / scale;
				break;
			}
	return k;
}

/* 95% percentile bootstrap CI of (med(a)/med(b)) / (med(c)/med(d)): the change of a speedup. */
static void bootstrap_speedup_change(const double *a, size_t na, const double *b, size_t nb, const double *c,
				     size_t nc, const double *d, size_t nd, int B, uint64_t seed, double *lo,
				     double *hi)
{
	size_t most = na, k = 0;
	double *scratch, *stat;
	struct sl_rng rng;

	*lo = *hi = NAN;
	most = nb > most ? nb : most;
	most = nc > most ? nc : most;
	most = nd > most ? nd : most;
	if (!na || !nb || !nc || !nd || B < 10)
		return;
	scratch = malloc(5 * most * sizeof(*scratch));   /* scratch, then the four samples sorted */
	stat = malloc((size_t)B * sizeof(*stat));
	if (!scratch || !stat)
		goto out_free;
	{
		double *sa = scratch + most, *sb = sa + most, *sc = sb + most, *sd = sc + most;

		memcpy(sa, a, na * sizeof(*a));
		memcpy(sb, b, nb * sizeof(*b));
		memcpy(sc, c, nc * sizeof(*c));
		memcpy(sd, d, nd * sizeof(*d));
		qsort(sa, na, sizeof(*sa), sl_stats_cmp_double);   /* the resampler wants them sorted */
		qsort(sb, nb, sizeof(*sb), sl_stats_cmp_double);
		qsort(sc, nc, sizeof(*sc), sl_stats_cmp_double);
		qsort(sd, nd, sizeof(*sd), sl_stats_cmp_double);
		a = sa;
		b = sb;
		c = sc;
		d = sd;
	}
	sl_rng_seed(&rng, seed);
	for (int i = 0; i < B; i++) {
		double ma = sl_stats_resample_median(&rng, a, na, scratch), mb = sl_stats_resample_median(&rng, b, nb, scratch);
		double mc = sl_stats_resample_median(&rng, c, nc, scratch), md = sl_stats_resample_median(&rng, d, nd, scratch);
		double s = (ma / mb) / (mc / md);

		if (isfinite(s))
			stat[k++] = s;
	}
	if (k) {
		*lo = sl_stats_quantile(stat, k, 0.025);
		*hi = sl_stats_quantile(stat, k, 0.975);
	}
out_free:
	free(stat);
	free(scratch);
}

void sl_cmp_speedup(const double *t1b, const int *rb1, size_t nb1, const double *tpb, const int *rbp, size_t nbp,
		    const double *t1c, const int *rc1, size_t nc1, const double *tpc, const int *rcp, size_t ncp,
		    double scale, double threshold_pct, const struct sl_cmp_options *o, uint64_t seed,
		    struct sl_cmp_row *row)
{
	double *pb = malloc((nbp ? nbp : 1) * sizeof(*pb)), *pc = malloc((ncp ? ncp : 1) * sizeof(*pc));
	size_t npb, npc, nmin;
	double lo, hi;

	row->threshold_pct = threshold_pct;
	row->p = NAN;
	row->change_pct = row->change_lo_pct = row->change_hi_pct = NAN;
	row->base = (struct sl_cmp_side){ NAN, NAN, NAN, NAN, 0 };
	row->cur = (struct sl_cmp_side){ NAN, NAN, NAN, NAN, 0 };
	row->p_cut = o->alpha;
	row->note[0] = '\0';
	if (!pb || !pc || !(scale > 0)) {
		row->verdict = SL_VERDICT_INCONCLUSIVE;
		snprintf(row->note, sizeof(row->note), "out of memory");
		goto out_free;
	}
	npb = paired_ratios(t1b, rb1, nb1, tpb, rbp, nbp, scale, pb);
	npc = paired_ratios(t1c, rc1, nc1, tpc, rcp, ncp, scale, pc);
	row->base.n = npb;
	row->cur.n = npc;
	row->base.median = sl_stats_median(t1b, nb1) / sl_stats_median(tpb, nbp) / scale;
	row->cur.median = sl_stats_median(t1c, nc1) / sl_stats_median(tpc, ncp) / scale;
	/* built as summary.csv builds a speedup's interval: from the medians' order-statistic CIs */
	row->base.level = sl_stats_median_ratio_ci(t1b, nb1, tpb, nbp, SL_CMP_CI_LEVEL, &lo, &hi);
	row->base.ci_lo = lo / scale;
	row->base.ci_hi = hi / scale;
	row->cur.level = sl_stats_median_ratio_ci(t1c, nc1, tpc, ncp, SL_CMP_CI_LEVEL, &lo, &hi);
	row->cur.ci_lo = lo / scale;
	row->cur.ci_hi = hi / scale;
	if (row->base.median > 0 && isfinite(row->base.median)) {
		row->change_pct = (row->cur.median / row->base.median - 1) * 100;
		bootstrap_speedup_change(t1c, nc1, tpc, ncp, t1b, nb1, tpb, nbp, o->bootstrap, seed + 2, &lo, &hi);
		row->change_lo_pct = (lo - 1) * 100;
		row->change_hi_pct = (hi - 1) * 100;
	}
	row_test(row, pb, npb, pc, npc);
	nmin = nb1;
	nmin = nbp < nmin ? nbp : nmin;
	nmin = nc1 < nmin ? nc1 : nmin;
	nmin = ncp < nmin ? ncp : nmin;
	row->nmin = nmin < row->nmin ? nmin : row->nmin;
	row->significant = row_significant(row, o->alpha);
	decide(row);
out_free:
	free(pb);
	free(pc);
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

static int add_note(struct sl_cmp_result *res, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
static int add_note(struct sl_cmp_result *res, const char *fmt, ...)
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

static struct sl_cmp_row *add_row(struct sl_cmp_result *res, size_t *cap)
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
				if (add_note(res, "fixed axis '%s' differs: base %s, current %s (configurations are "
					     "matched on the others)", name, bv, cv) < 0)
					return -ENOMEM;
			} else if (!bv || !cv) {
				if (add_note(res, "axis '%s' only in the %s run (= %s)", name, bv ? "base" : "current",
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
		row = add_row(res, cap);
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
		int wall = metric_column("wall_s"), err = 0;
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
		row = add_row(res, cap);
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
	row = add_row(res, cap);
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

/* Benjamini-Hochberg over the rows that were tested: the largest k with p_(k) <= k q / m gives the
 * cut; every row's significance and verdict are set again against it. 0 or -ENOMEM. */
static int fdr_decide(struct sl_cmp_result *res, double q)
{
	double *p = malloc((res->nrows ? res->nrows : 1) * sizeof(*p)), cut = -1;
	size_t m = 0;

	if (!p)
		return -ENOMEM;
	for (size_t i = 0; i < res->nrows; i++) {
		const struct sl_cmp_row *r = &res->rows[i];

		if (r->metric.kind != SL_CMP_STATUS && r->nmin >= SL_CMP_MIN_REPS && isfinite(r->p))
			p[m++] = r->p;
	}
	qsort(p, m, sizeof(*p), sl_stats_cmp_double);
	for (size_t k = m; k >= 1; k--)
		if (p[k - 1] <= (double)k * q / (double)m) {
			cut = p[k - 1];
			break;
		}
	res->family = m;
	for (size_t i = 0; i < res->nrows; i++) {
		struct sl_cmp_row *r = &res->rows[i];

		if (r->metric.kind == SL_CMP_STATUS || r->nmin < SL_CMP_MIN_REPS || !isfinite(r->p))
			continue;
		r->p_cut = cut;
		r->significant = row_significant(r, cut);
		decide(r);
	}
	free(p);
	return 0;
}

/* A row that decides the headline: a metric with a better direction, or a status row. */
static bool row_counts(const struct sl_cmp_row *r)
{
	return r->metric.kind == SL_CMP_STATUS || r->metric.better != 0;
}

/* "LABEL METRIC +x% [lo, hi]" of a row into buf. */
static void row_change_text(const struct sl_cmp_result *res, const struct sl_cmp_row *r, char *buf, size_t len)
{
	int n = snprintf(buf, len, "%s %s", res->labels[r->match], r->metric.name);

	if (n < 0 || (size_t)n >= len)
		return;
	if (r->metric.kind == SL_CMP_STATUS)
		snprintf(buf + n, len - (size_t)n, ": %s", r->note);
	else if (isfinite(r->change_lo_pct) && isfinite(r->change_hi_pct))
		snprintf(buf + n, len - (size_t)n, " %+.1f%% [%+.1f, %+.1f]", r->change_pct, r->change_lo_pct,
			 r->change_hi_pct);
	else
		snprintf(buf + n, len - (size_t)n, " %+.1f%%", r->change_pct);
}

/* The row of verdict v that moved furthest (a status row first), or NULL. */
static const struct sl_cmp_row *worst_row(const struct sl_cmp_result *res, enum sl_verdict v)
{
	const struct sl_cmp_row *w = NULL;

	for (size_t i = 0; i < res->nrows; i++) {
		const struct sl_cmp_row *r = &res->rows[i];

		if (r->verdict != v || !row_counts(r))
			continue;
		if (r->metric.kind == SL_CMP_STATUS)
			return r;
		if (!w || fabs(r->change_pct) > fabs(w->change_pct))
			w = r;
	}
	return w;
}

const char *sl_cmp_headline(const struct sl_cmp_result *res)
{
	return res->overall == SL_VERDICT_UNCHANGED ? "no change" : sl_verdict_name(res->overall);
}

/* The headline verdict and its one-line reason: regression > improvement > inconclusive > no
 * change, from the rows of metrics with a better direction (and failures). */
static void overall_verdict(struct sl_cmp_result *res)
{
	size_t counted = 0, n[SL_VERDICT_N] = { 0 }, used = 0;
	const struct sl_cmp_row *w;
	char buf[256];

	for (size_t i = 0; i < res->nrows; i++)
		if (row_counts(&res->rows[i])) {
			n[res->rows[i].verdict]++;
			counted++;
		}
	if (n[SL_VERDICT_REGRESSION])
		res->overall = SL_VERDICT_REGRESSION;
	else if (n[SL_VERDICT_IMPROVEMENT])
		res->overall = SL_VERDICT_IMPROVEMENT;
	else if (n[SL_VERDICT_INCONCLUSIVE] || counted == 0)
		res->overall = SL_VERDICT_INCONCLUSIVE;   /* nothing compared is no evidence of no change */
	else
		res->overall = SL_VERDICT_UNCHANGED;
	if (counted == 0) {
		snprintf(res->reason, sizeof(res->reason), "nothing could be compared (see the notes)");
		return;
	}
	if (res->overall == SL_VERDICT_REGRESSION || res->overall == SL_VERDICT_IMPROVEMENT) {
		w = worst_row(res, res->overall);
		row_change_text(res, w, buf, sizeof(buf));
		snprintf(res->reason, sizeof(res->reason), "%s%s (threshold %g%%); %zu of %zu rows %s",
			 res->overall == SL_VERDICT_REGRESSION ? "worst: " : "largest: ", buf, w->threshold_pct,
			 n[res->overall], counted, res->overall == SL_VERDICT_REGRESSION ? "regressed" : "improved");
		return;
	}
	if (res->overall == SL_VERDICT_INCONCLUSIVE) {
		size_t shown = 0;

		used = (size_t)snprintf(res->reason, sizeof(res->reason), "%zu of %zu rows could not tell: ",
					n[SL_VERDICT_INCONCLUSIVE], counted);
		for (size_t i = 0; i < res->nrows && used < sizeof(res->reason); i++) {
			const struct sl_cmp_row *r = &res->rows[i];

			if (r->verdict != SL_VERDICT_INCONCLUSIVE || !row_counts(r))
				continue;
			if (shown == 3) {
				snprintf(res->reason + used, sizeof(res->reason) - used, "; ...");
				break;
			}
			if (r->nmin >= SL_CMP_MIN_REPS && r->mde_pct > r->threshold_pct && r->more_reps > 0)
				used += (size_t)snprintf(res->reason + used, sizeof(res->reason) - used,
							 "%s%s %s detects %.*f%%, not %g%% (about %ld more repetitions)",
							 shown ? "; " : "", res->labels[r->match], r->metric.name,
							 r->mde_pct < 10 ? 1 : 0, r->mde_pct, r->threshold_pct, r->more_reps);
			else
				used += (size_t)snprintf(res->reason + used, sizeof(res->reason) - used, "%s%s %s: %s",
							 shown ? "; " : "", res->labels[r->match], r->metric.name, r->note);
			shown++;
		}
		return;
	}
	/* no change: the largest move, and the largest change any row could have missed */
	{
		const struct sl_cmp_row *big = NULL, *blind = NULL;

		for (size_t i = 0; i < res->nrows; i++) {
			const struct sl_cmp_row *r = &res->rows[i];

			if (!row_counts(r) || r->metric.kind == SL_CMP_STATUS || !isfinite(r->change_pct))
				continue;
			if (!big || fabs(r->change_pct) > fabs(big->change_pct))
				big = r;
			if (!blind || r->mde_pct / r->threshold_pct > blind->mde_pct / blind->threshold_pct)
				blind = r;
		}
		if (!big) {
			snprintf(res->reason, sizeof(res->reason), "no failures, nothing else measured");
			return;
		}
		row_change_text(res, big, buf, sizeof(buf));
		used = (size_t)snprintf(res->reason, sizeof(res->reason), "no row changed significantly beyond its "
					"threshold, and each could have detected it (least sensitive: %s %s, %.3g%% of %g%%); "
					"largest change: %s", res->labels[blind->match], blind->metric.name, blind->mde_pct,
					blind->threshold_pct, buf);
		w = worst_row(res, SL_VERDICT_CHANGED);
		if (w && used < sizeof(res->reason)) {
			for (size_t i = 0; i < res->nrows; i++)
				if (res->rows[i].verdict == SL_VERDICT_CHANGED)
					w = &res->rows[i];
			row_change_text(res, w, buf, sizeof(buf));
			snprintf(res->reason + used, sizeof(res->reason) - used, "; reported, not judged: %s", buf);
		}
	}
}

/* Google Benchmark's OVERALL_GEOMEAN: per metric, the geometric mean of median(cur)/median(base)
 * over the matched configurations that have both. */
static void geomean_summary(struct sl_cmp_result *res, const struct sl_cmp_metric *metrics, size_t nmetrics)
{
	res->ngeo = 0;
	for (size_t k = 0; k < nmetrics && res->ngeo < SL_CMP_MAX_METRICS; k++) {
		double sum = 0;
		size_t n = 0;

		for (size_t i = 0; i < res->nrows; i++) {
			const struct sl_cmp_row *r = &res->rows[i];

			if (strcmp(r->metric.name, metrics[k].name) != 0 || !(r->base.median > 0) || !(r->cur.median > 0))
				continue;
			sum += log(r->cur.median / r->base.median);
			n++;
		}
		if (!n)
			continue;
		snprintf(res->geo[res->ngeo].metric, SL_NAME_LEN, "%s", metrics[k].name);
		res->geo[res->ngeo].change_pct = expm1(sum / (double)n) * 100;
		res->geo[res->ngeo++].n = n;
	}
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
	if (o->nmetrics) {
		for (int i = 0; i < o->nmetrics && i < SL_CMP_MAX_METRICS; i++)
			metrics[nmetrics++] = o->metrics[i];
	} else {
		for (size_t i = 0; sl_cmp_default_metrics[i]; i++)
			if (sl_cmp_metric_find(sl_cmp_default_metrics[i], &metrics[nmetrics]))
				nmetrics++;
	}
	if (strcmp(base->fingerprint, cur->fingerprint) != 0) {
		size_t kept = 0;

		for (size_t i = 0; i < nmetrics; i++) {
			if (metrics[i].dimensionless) {
				metrics[kept++] = metrics[i];
				continue;
			}
			if (!o->cross_machine) {
				sl_err("different machines (fingerprint '%s' in %s/meta.json, '%s' in %s/meta.json): "
				       "absolute metrics such as %s are not comparable; --cross-machine compares speedup, "
				       "efficiency and cores_busy only", base->fingerprint, base->dir, cur->fingerprint,
				       cur->dir, metrics[i].name);
				goto out_fail;
			}
			if (o->nmetrics) {
				sl_err("--cross-machine compares dimensionless metrics only; '%s' is absolute", metrics[i].name);
				goto out_fail;
			}
		}
		nmetrics = kept;
		res->cross_machine = true;
		if (!nmetrics) {
			sl_err("different machines and no dimensionless metric to compare");
			goto out_fail;
		}
	}
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
			if (add_note(res, "%s: no successful repetition in the %s run (%s)", label,
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
	if (unmatched && add_note(res, "%zu configuration(s) of the base run have no match in the current run",
				  unmatched) < 0)
		goto out_nomem;
	{
		size_t extra = 0;

		for (size_t j = 0; j < cur->nconfigs; j++)
			extra += !taken[j];
		if (extra && add_note(res, "%zu configuration(s) of the current run have no match in the base run",
				      extra) < 0)
			goto out_nomem;
	}
	if (fdr_decide(res, o->alpha) < 0)
		goto out_nomem;
	for (size_t i = 0; i < res->nrows; i++)
		res->counts[res->rows[i].verdict]++;
	overall_verdict(res);
	geomean_summary(res, metrics, nmetrics);
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

/* ---- output ---- */

/* Write s for a Markdown table cell: no line breaks, pipes escaped. */
static void md_cell(FILE *f, const char *s)
{
	for (; *s; s++) {
		if (*s == '|')
			fputs("\\|", f);
		else if ((unsigned char)*s < 0x20 || *s == 0x7f)
			fputc(' ', f);
		else
			fputc(*s, f);
	}
}

static void md_num(FILE *f, double v)
{
	if (isfinite(v))
		fprintf(f, "%.4g", v);
	else
		fputs("—", f);
}

void sl_cmp_markdown(const struct sl_cmp_result *res, FILE *f)
{
	static const char *const plural[SL_VERDICT_N] = {
		"unchanged", "improvements", "regressions", "changed", "inconclusive",
	};
	static const enum sl_verdict order[] = {
		SL_VERDICT_REGRESSION, SL_VERDICT_IMPROVEMENT, SL_VERDICT_CHANGED, SL_VERDICT_INCONCLUSIVE,
		SL_VERDICT_UNCHANGED,
	};
	bool first = true;

	/* the answer first: the verdict and why, and what else differs between the runs */
	fprintf(f, "Verdict: %s — ", sl_cmp_headline(res));
	md_cell(f, res->reason);
	fputc('\n', f);
	if (res->params[0]) {
		fputs("Workload parameters differ between base and current: ", f);
		md_cell(f, res->params);
		fputs(" (the verdict compares them as they are)\n", f);
	}
	/* wall time follows the neighbours too: a loaded machine is said where the verdict is read */
	if ((res->base_load > 1 || res->cur_load > 1) && isfinite(res->base_load) && isfinite(res->cur_load))
		fprintf(f, "Machine loaded: load average per CPU at the start %.2g (base) and %.2g (current); wall-time "
			"rows follow the other work too (cpu_user_s does not)\n", res->base_load, res->cur_load);
	if (res->ngeo) {
		fputs("Geometric mean over the matched configurations:", f);
		for (size_t i = 0; i < res->ngeo; i++)
			fprintf(f, "%s %s %+.1f%% (%zu)", i ? "," : "", res->geo[i].metric, res->geo[i].change_pct,
				res->geo[i].n);
		fputc('\n', f);
	}
	fputc('\n', f);
	fprintf(f, "**speedlab compare: %s** — experiment `", sl_verdict_name(res->overall));
	md_cell(f, res->experiment);
	fputs("`: ", f);
	for (size_t i = 0; i < sizeof(order) / sizeof(order[0]); i++) {
		size_t n = res->counts[order[i]];

		if (!n && order[i] != SL_VERDICT_REGRESSION)
			continue;
		fprintf(f, "%s%zu %s", first ? "" : ", ", n,
			n == 1 && order[i] <= SL_VERDICT_REGRESSION ? sl_verdict_name(order[i]) : plural[order[i]]);
		first = false;
	}
	if (!res->nrows)
		fputs(" (nothing could be compared: see the notes)", f);
	fprintf(f, " over %zu configuration%s (threshold %g%%; significant: Welch's t on logs at a false-discovery "
		   "rate of %g over the %zu tested rows, and Mann–Whitney U < %g, or non-overlapping CIs below %d "
		   "repetitions)%s\n\n", res->nlabels, res->nlabels == 1 ? "" : "s", res->threshold_pct, res->alpha,
		res->family, SL_CMP_RANK_ALPHA, SL_CMP_MWU_REPS,
		res->cross_machine ? "; different machines: dimensionless metrics only" : "");
	if (res->thresholds_from[0]) {
		fputs("per-metric thresholds calibrated from identical runs on this machine: `", f);
		md_cell(f, res->thresholds_from);
		fputs("`\n\n", f);
	}
	fputs("base: `", f);
	md_cell(f, res->base_dir);
	fputs("`", f);
	if (res->base_commit[0]) {
		fputs(" (", f);
		md_cell(f, res->base_commit);
		fputs(")", f);
	}
	fputs(" · current: `", f);
	md_cell(f, res->cur_dir);
	fputs("`", f);
	if (res->cur_commit[0]) {
		fputs(" (", f);
		md_cell(f, res->cur_commit);
		fputs(")", f);
	}
	fputs("\n\n| configuration | metric | base | current | change % [95% CI] | detectable % | p | verdict |\n"
	      "|---|---|---:|---:|---|---:|---:|---|\n", f);
	for (size_t i = 0; i < res->nrows; i++) {
		const struct sl_cmp_row *r = &res->rows[i];

		if (res->nrows > SL_CMP_MARKDOWN_ALL_ROWS && r->verdict == SL_VERDICT_UNCHANGED)
			continue;

		fputs("| ", f);
		md_cell(f, res->labels[r->match]);
		fprintf(f, " | %s | ", r->metric.name);
		if (r->metric.kind == SL_CMP_STATUS) {
			fprintf(f, "%.0f/%zu ok | %.0f/%zu ok | — | — | — | ", r->base.median, r->base.n, r->cur.median,
				r->cur.n);
		} else {
			md_num(f, r->base.median);
			fputs(" | ", f);
			md_num(f, r->cur.median);
			fputs(" | ", f);
			if (isfinite(r->change_pct)) {
				fprintf(f, "%+.1f", r->change_pct);
				if (isfinite(r->change_lo_pct) && isfinite(r->change_hi_pct))
					fprintf(f, " [%+.1f, %+.1f]", r->change_lo_pct, r->change_hi_pct);
			} else {
				fputs("—", f);
			}
			fputs(" | ", f);
			if (isfinite(r->mde_pct))
				fprintf(f, "%.3g", r->mde_pct);
			else
				fputs("—", f);
			fputs(" | ", f);
			if (isfinite(r->p))
				fprintf(f, "t %.2g", r->p);
			else
				fputs("—", f);
			if (r->ci_test && r->nmin >= SL_CMP_MIN_REPS)
				fprintf(f, " · CIs %s (n=%zu/%zu, %.4g%%/%.4g%% CIs)", r->cis_apart ? "apart" : "overlap",
					r->base.n, r->cur.n, 100 * r->base.level, 100 * r->cur.level);
			else if (isfinite(r->p_rank))
				fprintf(f, " · U %.2g", r->p_rank);
			fputs(" | ", f);
		}
		if (r->verdict == SL_VERDICT_REGRESSION)
			fprintf(f, "**%s**", sl_verdict_name(r->verdict));
		else
			fputs(sl_verdict_name(r->verdict), f);
		if (r->note[0]) {
			fputs(" (", f);
			md_cell(f, r->note);
			fputs(")", f);
		}
		fputs(" |\n", f);
	}
	fputs("\ndetectable %: the smallest change each row would have found with 80% power at p < 0.05, from its "
	      "own noise and repetitions; a row is unchanged only when that is within its threshold.\n", f);
	if (res->nrows > SL_CMP_MARKDOWN_ALL_ROWS && res->counts[SL_VERDICT_UNCHANGED])
		fprintf(f, "\n%zu unchanged rows left out of this table (--json has every row).\n",
			res->counts[SL_VERDICT_UNCHANGED]);
	if (res->nnotes) {
		fputs("\nnotes:\n", f);
		for (size_t i = 0; i < res->nnotes; i++) {
			fputs("- ", f);
			md_cell(f, res->notes[i]);
			fputc('\n', f);
		}
	}
}

static json_t *jnum(double v)
{
	return isfinite(v) ? json_real(v) : json_null();
}

static json_t *jside(const struct sl_cmp_side *s)
{
	return json_pack("{s:o, s:o, s:o, s:o, s:I}", "median", jnum(s->median), "ci_lo", jnum(s->ci_lo), "ci_hi",
			 jnum(s->ci_hi), "ci_level", jnum(s->level), "n", (json_int_t)s->n);
}

json_t *sl_cmp_json(const struct sl_cmp_result *res)
{
	json_t *root, *rows, *notes, *counts;

	root = json_pack("{s:s, s:s, s:s, s:s, s:s, s:s, s:s, s:b, s:f, s:I, s:f, s:s, s:I}", "experiment",
			 res->experiment, "base", res->base_dir, "current", res->cur_dir, "base_commit", res->base_commit,
			 "current_commit", res->cur_commit, "base_fingerprint", res->base_fingerprint,
			 "current_fingerprint", res->cur_fingerprint, "cross_machine", res->cross_machine, "fdr_q",
			 res->alpha, "tested_rows", (json_int_t)res->family, "threshold_pct", res->threshold_pct, "verdict", sl_verdict_name(res->overall),
			 "configurations", (json_int_t)res->nlabels);
	rows = json_array();
	notes = json_array();
	counts = json_object();
	if (!root || !rows || !notes || !counts)
		goto out_nomem;
	if ((json_object_set_new(root, "headline", json_string(sl_cmp_headline(res))) < 0 ||
		     json_object_set_new(root, "reason", json_string(res->reason)) < 0 ||
		     json_object_set_new(root, "parameters_changed", json_string(res->params)) < 0))
		goto out_nomem;
	{
		json_t *geo = json_object();

		for (size_t i = 0; geo && i < res->ngeo; i++)
			json_object_set_new(geo, res->geo[i].metric, jnum(res->geo[i].change_pct));
		if (!geo || json_object_set_new(root, "geomean_change_pct", geo) < 0)
			goto out_nomem;
	}
	for (int v = 0; v < SL_VERDICT_N; v++)
		if (json_object_set_new(counts, sl_verdict_name(v), json_integer((json_int_t)res->counts[v])) < 0)
			goto out_nomem;
	for (size_t i = 0; i < res->nnotes; i++)
		if (json_array_append_new(notes, json_string(res->notes[i])) < 0)
			goto out_nomem;
	for (size_t i = 0; i < res->nrows; i++) {
		const struct sl_cmp_row *r = &res->rows[i];
		const char *better = r->metric.better > 0 ? "higher" : r->metric.better < 0 ? "lower" : "none";
		json_t *row = json_pack("{s:s, s:s, s:s, s:o, s:o, s:o, s:o, s:o, s:o, s:o, s:b, s:s, s:b, s:f, s:s, s:s}",
					"config", res->labels[r->match], "metric", r->metric.name, "better", better,
					"base", jside(&r->base), "current", jside(&r->cur), "change_pct",
					jnum(r->change_pct), "change_ci_lo_pct", jnum(r->change_lo_pct),
					"change_ci_hi_pct", jnum(r->change_hi_pct), "p_welch", jnum(r->p),
					"p_mann_whitney", jnum(r->p_rank), "cis_apart", r->cis_apart, "test",
					r->metric.kind == SL_CMP_STATUS ? "status" :
					r->ci_test ? "welch-t+ci-overlap" : "welch-t+mann-whitney",
					"significant", r->significant, "threshold_pct", r->threshold_pct, "verdict",
					sl_verdict_name(r->verdict), "note", r->note);

		if (row && (json_object_set_new(row, "mde_pct", jnum(r->mde_pct)) < 0 ||
			    json_object_set_new(row, "more_repetitions", json_integer(r->more_reps)) < 0 ||
			    json_object_set_new(row, "p_cut", jnum(r->p_cut)) < 0)) {
			json_decref(row);
			goto out_nomem;
		}
		if (!row || json_array_append_new(rows, row) < 0)
			goto out_nomem;
	}
	if (json_object_set_new(root, "counts", counts) < 0) {
		counts = NULL;
		goto out_nomem;
	}
	counts = NULL;
	if (json_object_set_new(root, "notes", notes) < 0) {
		notes = NULL;
		goto out_nomem;
	}
	notes = NULL;
	if (json_object_set_new(root, "comparisons", rows) < 0) {
		rows = NULL;
		goto out_nomem;
	}
	return root;

out_nomem:
	json_decref(counts);
	json_decref(notes);
	json_decref(rows);
	json_decref(root);
	return NULL;
}
