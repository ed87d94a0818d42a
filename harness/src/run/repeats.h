/* repeats.h: `repeats = auto`: which configurations a run still measures, from the precision their
 * medians have reached (the half-width of the 95% order-statistic CI, relative to the median). */
#ifndef SL_REPEATS_H
#define SL_REPEATS_H

#include <jansson.h>
#include <stdbool.h>

#include "experiment/experiment.h"

struct sl_repeats {
	long nconfigs;
	int min, max;                /* min_repeats, max_repeats */
	double precision_pct;
	int column;                  /* index into sl_metric_columns */
	double *v;                   /* nconfigs x max values of the metric, ok repetitions in order */
	int *n;                      /* how many each configuration has */
	int *measured;               /* repetitions measured (ok or not) */
};

/* For an experiment with repeats_auto. 0, or -ENOMEM / -EINVAL (unknown precision metric). */
int sl_repeats_init(struct sl_repeats *r, const struct sl_experiment *e, long nconfigs);
/* Take a measured repetition (rep >= 1) of configuration c into account. Never fails. */
void sl_repeats_add(struct sl_repeats *r, long c, const struct sl_metrics *m);
/* Read back the repetitions of an existing runs.csv (--resume). 0, or a negative errno (message printed). */
int sl_repeats_load(struct sl_repeats *r, const char *runs_csv);
/* The relative half-width (percent) of the median's 95% CI of configuration c, and its level into
 * *level; INFINITY (level 0) with fewer than 2 values. Never fails. */
double sl_repeats_halfwidth(const struct sl_repeats *r, long c, double *level);
/* Whether configuration c is precise enough: at least min repetitions, a CI that reaches 95%, and
 * a half-width within precision. Never fails. */
bool sl_repeats_precise(const struct sl_repeats *r, long c);
/* Whether the run measures configuration c in repetition rep (1-based). Never fails. */
bool sl_repeats_wanted(const struct sl_repeats *r, long c, int rep);
/* What each configuration got, for meta.json; NULL when out of memory. */
json_t *sl_repeats_json(const struct sl_repeats *r);
/* Free everything. Safe on a zeroed struct. */
void sl_repeats_free(struct sl_repeats *r);

#endif
