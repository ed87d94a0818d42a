/* thresholds.h: the options of a comparison and the [compare] section of an experiment file (a
 * threshold per metric), the types the experiment reads and analysis/compare.c fills and uses.
 * The functions are defined in analysis/compare.c. */
#ifndef SL_THRESHOLDS_H
#define SL_THRESHOLDS_H

#include <stdint.h>

#include "core/speedlab.h"

/* What compare measures. Derived metrics come from wall_s; raw ones are runs.csv columns. */
enum sl_cmp_kind { SL_CMP_RAW = 0, SL_CMP_SPEEDUP, SL_CMP_EFFICIENCY, SL_CMP_STATUS };
struct sl_cmp_metric {
	char name[SL_NAME_LEN];
	enum sl_cmp_kind kind;
	int column;                  /* index into sl_metric_columns (raw metrics), else -1 */
	int better;                  /* +1 higher is better, -1 lower is better, 0 neither */
	bool dimensionless;          /* comparable across machines */
};
/* Fill m for name: speedup, efficiency or a runs.csv metric column ("runtime" is wall_s); false when
 * unknown. Never prints. */
bool sl_cmp_metric_find(const char *name, struct sl_cmp_metric *m);

#define SL_CMP_MAX_METRICS 32
struct sl_cmp_options {
	double threshold_pct;        /* smallest change that counts, percent (default 5) */
	int nthresholds;             /* per-metric overrides, [compare] threshold.<metric> = PCT */
	struct { char metric[SL_NAME_LEN]; double pct; } thresholds[SL_CMP_MAX_METRICS];
	int nmetrics;                /* metrics to compare; 0: sl_cmp_default_metrics */
	struct sl_cmp_metric metrics[SL_CMP_MAX_METRICS];
	bool cross_machine;          /* allow different fingerprints (dimensionless metrics only) */
	double alpha;                /* false-discovery rate q of a comparison (Benjamini-Hochberg over its
	                              * rows; default 0.05); a single sl_cmp_samples row: its p-value cut */
	int bootstrap;               /* bootstrap resamples per interval */
	char thresholds_from[600];   /* where per-metric thresholds came from beyond the experiment ("" none) */
	uint64_t seed;               /* of every bootstrap: the output is deterministic */
};
/* The one reader of a [compare] key (the experiment table calls it for every file and --set):
 * `threshold = PCT` or `threshold.<metric> = PCT` into o. 0, or -EINVAL with msg set (unknown key or
 * metric, with a "did you mean"; a value that is not a percentage from 0 to 1000; more than
 * SL_CMP_MAX_METRICS metrics). */
int sl_cmp_threshold_set(struct sl_cmp_options *o, const char *key, const char *value, char *msg, size_t len);
/* Defaults: threshold 5%, alpha 0.05, 2000 resamples, default metrics. Never fails. */
void sl_cmp_options_init(struct sl_cmp_options *o);

#endif
