/* compare_history.h: results/history.csv, one row per metric per CI run (commit, date, machine,
 * experiment, config, metric, value, ci_lo, ci_hi), and the level shifts found in it. */
#ifndef SL_COMPARE_HISTORY_H
#define SL_COMPARE_HISTORY_H

#include <jansson.h>
#include <stdio.h>

#include "analysis/changepoint.h"
#include "analysis/compare.h"

#define SL_HISTORY_HEADER "commit,date,machine,experiment,config,metric,value,ci_lo,ci_hi"
#define SL_HISTORY_MAX_STEPS 32

/* Append run's metrics (every configuration, the metrics of o or the default ones: median and
 * 95% bootstrap CI; speedup and efficiency against the 1-process configuration) to path, writing
 * the header when the file is new. commit and date ("" for now, ISO 8601 UTC) label the rows.
 * Returns the number of rows appended, or -errno / -EINVAL (a file whose header is not
 * SL_HISTORY_HEADER) with "speedlab: FILE:LINE: message" printed. */
int sl_history_record(const char *path, const struct sl_cmp_run *run, const struct sl_cmp_options *o,
		      const char *commit, const char *date);

struct sl_history_point {
	double value, ci_lo, ci_hi;   /* ci_* NAN when absent */
	size_t run;                   /* ordinal of the CI run within its machine and experiment */
	int line;                     /* in the file */
	char commit[64];
	char date[40];
};
struct sl_history_series {
	char machine[256];
	char experiment[SL_NAME_LEN];
	char *config;
	struct sl_cmp_metric metric;
	size_t n;
	struct sl_history_point *pts;
	/* after sl_history_analyse, over the last `window` points (first = their first index) */
	size_t first;
	bool analysed;                /* enough points to look for a change */
	size_t nsteps;
	size_t steps[SL_HISTORY_MAX_STEPS];   /* indices into pts where a new level starts */
	double levels[SL_HISTORY_MAX_STEPS + 1];   /* median of each segment */
	double change_pct;            /* last segment against the first, percent (0 without a step) */
	enum sl_verdict verdict;
};
struct sl_history {
	char path[512];
	size_t nseries;
	struct sl_history_series *series;
	size_t window;
	double threshold_pct, alpha;
	size_t counts[SL_VERDICT_N];
	enum sl_verdict overall;
};

/* Read path strictly (header, numbers, metric names). Returns 0, or -errno / -EINVAL with the
 * reason printed as "speedlab: FILE:LINE: message" (h is then empty). */
int sl_history_load(const char *path, struct sl_history *h);
/* The same from memory (fuzzing, tests); name stands for the file. */
int sl_history_parse(struct sl_history *h, const char *name, const char *text, size_t len);
void sl_history_free(struct sl_history *h);
/* Find the change points of every series over its last window points; a series whose last level
 * differs from its first by more than the threshold (of o, per metric) gets a regression,
 * improvement or changed verdict. Returns 0 or -ENOMEM (message printed). */
int sl_history_analyse(struct sl_history *h, size_t window, const struct sl_cmp_options *o,
		       const struct sl_cp_options *cpo);
/* 1 when a series regressed, else 0. Never fails. */
int sl_history_exit_code(const struct sl_history *h);
/* The series with a change point, as Markdown, after a one-line verdict. Never fails. */
void sl_history_markdown(const struct sl_history *h, FILE *f);
/* Every series as JSON; NULL when out of memory. */
json_t *sl_history_json(const struct sl_history *h);
/* For gnuplot: per experiment and metric, of the machine that ran the experiment last,
 * dir/<experiment>.<metric>.dat (one block per configuration, headed by its quoted label:
 * run value ci_lo ci_hi commit) and dir/<experiment>.<metric>.steps (run level, one line per
 * change point). Returns the number of .dat files, or -errno with the message printed. */
int sl_history_plot_data(const struct sl_history *h, const char *dir);

#endif
