/* thresholds.c: the metrics a comparison knows, its options and the [compare] keys (thresholds.h):
 * what the experiment reads for compare, defined here, below both, so that neither calls up. */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "experiment/thresholds.h"
#include "results/runs_view.h"

/* ---- metrics ---- */

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
	c = sl_metric_column(name);
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
const char *sl_cmp_metric_guess(const char *word)
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
		const char *guess = sl_cmp_metric_guess(key + 10);

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
