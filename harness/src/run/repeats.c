/* repeats.c: `repeats = auto`. A configuration keeps being measured, round after interleaved round,
 * until it has min_repeats ok repetitions and the distribution-free 95% CI of its median (order
 * statistics: it needs 6 values to reach 95%) is within precision of the median on each side, or
 * until max_repeats. A quiet configuration stops early; a noisy one gets what it needs. */
#include <errno.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "core/csv.h"
#include "run/repeats.h"
#include "core/stats.h"

#define SL_REPEATS_LEVEL 0.95

int sl_repeats_init(struct sl_repeats *r, const struct sl_experiment *e, long nconfigs)
{
	memset(r, 0, sizeof(*r));
	r->column = -1;
	for (size_t i = 0; i < sl_metric_ncolumns; i++)
		if (strcmp(sl_metric_columns[i].name, e->precision_metric) == 0)
			r->column = (int)i;
	if (r->column < 0)
		return -EINVAL;
	r->nconfigs = nconfigs;
	r->min = e->min_repeats;
	r->max = e->max_repeats;
	r->precision_pct = e->precision_pct;
	r->v = calloc((size_t)nconfigs * (size_t)r->max + 1, sizeof(*r->v));
	r->n = calloc((size_t)nconfigs + 1, sizeof(*r->n));
	r->measured = calloc((size_t)nconfigs + 1, sizeof(*r->measured));
	if (!r->v || !r->n || !r->measured) {
		sl_repeats_free(r);
		return -ENOMEM;
	}
	return 0;
}

static void add_value(struct sl_repeats *r, long c, bool ok, double v)
{
	if (c < 0 || c >= r->nconfigs)
		return;
	r->measured[c]++;
	if (ok && isfinite(v) && r->n[c] < r->max)
		r->v[c * r->max + r->n[c]++] = v;
}

void sl_repeats_add(struct sl_repeats *r, long c, const struct sl_metrics *m)
{
	add_value(r, c, strcmp(m->status, "ok") == 0, sl_metric_get(m, &sl_metric_columns[r->column]));
}

int sl_repeats_load(struct sl_repeats *r, const char *runs_csv)
{
	struct sl_csv csv;
	int cc, cr, cs, cv, rc;

	rc = sl_csv_read(runs_csv, &csv, 1);
	if (rc < 0)
		return rc;
	cc = sl_csv_col(&csv, "config");
	cr = sl_csv_col(&csv, "rep");
	cs = sl_csv_col(&csv, "status");
	cv = sl_csv_col(&csv, sl_metric_columns[r->column].name);
	if (cc < 0 || cr < 0 || cs < 0 || cv < 0) {
		sl_err_at(runs_csv, 1, "no config, rep, status or %s column: not a speedlab runs.csv",
			  sl_metric_columns[r->column].name);
		sl_csv_free(&csv);
		return -EINVAL;
	}
	for (size_t i = 0; i < csv.nrows; i++) {
		long c, rep;
		double v = NAN;

		if (!sl_parse_long(sl_csv_cell(&csv, i, cc), &c) || !sl_parse_long(sl_csv_cell(&csv, i, cr), &rep) || rep < 1)
			continue;
		if (!sl_parse_double(sl_csv_cell(&csv, i, cv), &v))
			v = NAN;
		add_value(r, c, strcmp(sl_csv_cell(&csv, i, cs), "ok") == 0, v);
	}
	sl_csv_free(&csv);
	return 0;
}

double sl_repeats_halfwidth(const struct sl_repeats *r, long c, double *level)
{
	const double *x = r->v + c * r->max;
	double lo, hi, med;

	*level = 0;
	if (c < 0 || c >= r->nconfigs || r->n[c] < 2)
		return INFINITY;
	med = sl_stats_median(x, (size_t)r->n[c]);
	*level = sl_stats_median_ci(x, (size_t)r->n[c], SL_REPEATS_LEVEL, &lo, &hi);
	if (!(med > 0))
		return INFINITY;
	return fmax(med - lo, hi - med) / med * 100;
}

bool sl_repeats_precise(const struct sl_repeats *r, long c)
{
	double level, hw;

	if (c < 0 || c >= r->nconfigs || r->n[c] < r->min)
		return false;
	hw = sl_repeats_halfwidth(r, c, &level);
	return level >= SL_REPEATS_LEVEL && hw <= r->precision_pct;
}

bool sl_repeats_wanted(const struct sl_repeats *r, long c, int rep)
{
	if (rep <= r->min)
		return true;
	/* a configuration that never succeeds stops at min_repeats: more would not help */
	if (c >= 0 && c < r->nconfigs && r->n[c] == 0 && r->measured[c] >= r->min)
		return false;
	return rep <= r->max && !sl_repeats_precise(r, c);
}

json_t *sl_repeats_json(const struct sl_repeats *r)
{
	json_t *o = json_object(), *per = json_array();
	size_t precise = 0;

	if (!o || !per) {
		json_decref(o);
		json_decref(per);
		return NULL;
	}
	for (long c = 0; c < r->nconfigs; c++) {
		double level, hw = sl_repeats_halfwidth(r, c, &level);
		bool ok = sl_repeats_precise(r, c);

		precise += ok;
		json_array_append_new(per, json_pack("{s:I, s:i, s:i, s:o, s:o, s:b}", "config", (json_int_t)c,
						     "repetitions", r->measured[c], "ok", r->n[c], "halfwidth_pct",
						     isfinite(hw) ? json_real(hw) : json_null(), "ci_level",
						     json_real(level), "precise", ok));
	}
	json_object_set_new(o, "metric", json_string(sl_metric_columns[r->column].name));
	json_object_set_new(o, "precision_pct", json_real(r->precision_pct));
	json_object_set_new(o, "min_repeats", json_integer(r->min));
	json_object_set_new(o, "max_repeats", json_integer(r->max));
	json_object_set_new(o, "precise", json_integer((json_int_t)precise));
	json_object_set_new(o, "configurations", per);
	return o;
}

void sl_repeats_free(struct sl_repeats *r)
{
	free(r->v);
	free(r->n);
	free(r->measured);
	memset(r, 0, sizeof(*r));
}
