/* compare.h: the regression verdict between two result directories (loading, matching, statistics,
 * Markdown and JSON), usable without the command line. */
#ifndef SL_COMPARE_H
#define SL_COMPARE_H

#include <jansson.h>
#include <stdio.h>

#include "core/speedlab.h"
#include "experiment/thresholds.h"

/* Verdict of one comparison. `changed` is a significant change beyond the threshold of a metric
 * that has no better direction (cores_busy): reported, never failed on. */
enum sl_verdict {
	SL_VERDICT_UNCHANGED = 0,
	SL_VERDICT_IMPROVEMENT,
	SL_VERDICT_REGRESSION,
	SL_VERDICT_CHANGED,
	SL_VERDICT_INCONCLUSIVE,
	SL_VERDICT_N
};
/* "unchanged", "improvement", ... Never fails. */
const char *sl_verdict_name(enum sl_verdict v);

/* Look name up among speedup, efficiency and the runs.csv metric columns ("runtime" is wall_s).
 * 0, or -EINVAL (message printed, with a "did you mean"). */
int sl_cmp_metric_lookup(const char *name, struct sl_cmp_metric *m);
/* name made safe as one path component: [A-Za-z0-9._-] kept, anything else '_', no leading dot,
 * never empty. Never fails (truncates to outlen). */
void sl_cmp_path_component(const char *name, char *out, size_t outlen);
/* The metrics compared when none is asked for: wall_s, cpu_user_s, speedup, efficiency, cores_busy,
 * dispatch_us_per_task, start_latency_ms, gflops, gbps, gpu_wait_us (NULL-terminated). */
extern const char *const sl_cmp_default_metrics[];

/* ---- one result directory, read back for comparison ---- */

struct sl_cmp_config {
	int id;                      /* the config column of runs.csv */
	int line;                    /* line of its first row */
	char **values;               /* one per axis of the run */
	size_t nmeasured;            /* rows with rep >= 0 */
	size_t nok, nfailed;         /* of those: status ok; crash, hang or error */
	char first_bad[SL_STATUS_LEN];   /* the first status that was not ok, "" when none */
	int *reps;                   /* nok repetition numbers */
	double *m;                   /* nok x sl_metric_ncolumns values, NAN where empty */
	int one_process;             /* the 1-process configuration of the same series, or -1 */
	long processes;              /* the processes axis as a number, 0 when absent */
};
struct sl_cmp_run {
	char dir[512];
	char experiment[SL_NAME_LEN];
	char fingerprint[256];
	double load_per_cpu;         /* meta.json's preflight load average per CPU at the start, NAN unknown */
	char commit[64];             /* from meta.json when it says, else "" */
	size_t naxes;
	char (*axes)[SL_NAME_LEN];
	int processes_axis;          /* index among axes, or -1 */
	size_t nconfigs;
	struct sl_cmp_config *configs;
};
/* Read dir/meta.json and dir/runs.csv strictly: every malformed, truncated, non-finite,
 * negative or absurdly large value is an error. Returns 0, or -errno / -EINVAL with the reason
 * printed as "speedlab: FILE:LINE: message" (r is then empty). */
int sl_cmp_run_load(const char *dir, struct sl_cmp_run *r);
/* The same from memory (tests, fuzzing): dir names the files in messages. Same contract. */
int sl_cmp_run_parse(struct sl_cmp_run *r, const char *dir, const char *meta, size_t metalen,
		     const char *runs, size_t runslen);
/* Free everything. Safe on a zeroed struct. */
void sl_cmp_run_free(struct sl_cmp_run *r);

/* ---- options ---- */

/* The [compare] section of an experiment file (a result directory's experiment.ini, which may hold
 * only that section), key by key through sl_cmp_threshold_set, the reader the experiment table
 * uses too. A missing file is not an error (0, nothing changed). Returns 0, or -EINVAL with
 * "speedlab: FILE:LINE: message" printed. */
int sl_cmp_thresholds_load(struct sl_cmp_options *o, const char *ini_path);
/* The same from a string; name stands for the file in messages. */
int sl_cmp_thresholds_parse(struct sl_cmp_options *o, const char *name, const char *text);
/* The threshold that applies to a metric. Never fails. */
double sl_cmp_threshold(const struct sl_cmp_options *o, const char *metric);

/* ---- the comparison ---- */

struct sl_cmp_side {
	double median, ci_lo, ci_hi;  /* order-statistic CI of the median asked at 95% (speedup: of the ratio) */
	double level;                 /* the coverage [ci_lo, ci_hi] really has (n = 3: 75%, 5: 93.75%) */
	size_t n;                     /* repetitions (speedup: pairs of repetitions) */
};
struct sl_cmp_row {
	size_t match;                 /* index into sl_cmp_result.labels */
	struct sl_cmp_metric metric;
	struct sl_cmp_side base, cur;
	double change_pct;            /* median(cur) / median(base) - 1, percent */
	double change_lo_pct, change_hi_pct;  /* its 95% bootstrap CI */
	double p;                     /* Welch's t two-sided p (on logs), tested over the comparison; NAN if untested */
	double p_rank;                /* Mann-Whitney U two-sided p (>= 5 repetitions), else NAN */
	bool ci_test;                 /* fewer than 5 repetitions: the CIs must not overlap (instead of U) */
	bool cis_apart;               /* the two medians' CIs do not overlap */
	size_t nmin;                  /* the smallest sample involved (< 3: not tested, inconclusive) */
	bool significant;
	double threshold_pct;
	double p_cut;                 /* the p-value cut the row was judged at (Benjamini-Hochberg's over a comparison) */
	double mde_pct;               /* minimum detectable effect: the change (percent) this row detects with
	                               * 80% power at 5% from its own noise and n; INFINITY when it cannot */
	long more_reps;               /* repetitions to add on each side for mde_pct <= threshold; 0 none, -1 unknown */
	enum sl_verdict verdict;
	char note[192];
};
struct sl_cmp_result {
	char experiment[SL_NAME_LEN];
	char base_dir[512], cur_dir[512];
	char base_commit[64], cur_commit[64];
	char base_fingerprint[256], cur_fingerprint[256];
	bool cross_machine;           /* fingerprints differ (and --cross-machine allowed it) */
	double alpha, threshold_pct;
	size_t family;                /* rows tested together (Benjamini-Hochberg) */
	size_t nlabels;               /* matched configurations */
	char **labels;
	size_t nrows;
	struct sl_cmp_row *rows;
	size_t nnotes;
	char **notes;
	size_t counts[SL_VERDICT_N];
	enum sl_verdict overall;      /* regression > improvement > inconclusive > unchanged ("no change");
	                               * rows of a metric with no better direction (changed) are reported only */
	char reason[512];             /* one line: why the overall verdict (the worst row, its change and CI) */
	char params[256];             /* workload parameters that differ between the runs, "" when none */
	char thresholds_from[600];    /* the calibration the thresholds came from, "" when none */
	double base_load, cur_load;   /* load average per CPU at the start of each run, NAN unknown */
	size_t ngeo;                  /* geometric-mean summary: one per metric over the matched configurations */
	struct { char metric[SL_NAME_LEN]; double change_pct; size_t n; } geo[SL_CMP_MAX_METRICS];
};
/* The headline word of a comparison: "regression", "improvement", "no change" or "inconclusive". */
const char *sl_cmp_headline(const struct sl_cmp_result *res);

/* The verdict on one metric from two samples (NAN entries ignored), tested alone (p <= o->alpha;
 * sl_cmp_compare then judges all rows together): row gets the medians, CIs, change, p-value and
 * verdict; row->metric must be set by the caller. Never fails (an allocation failure gives an
 * inconclusive verdict with a note). */
void sl_cmp_samples(const double *base, size_t nb, const double *cur, size_t nc, double threshold_pct,
		    const struct sl_cmp_options *o, uint64_t seed, struct sl_cmp_row *row);
/* The same for a speedup T1/TP: t1b, tpb are the base's 1-process and P-process wall times,
 * repetition numbers rb1, rbp pair them (a repetition missing on one side is dropped); likewise
 * for the current run. scale divides the speedup (P, for efficiency; 1 for speedup). */
void sl_cmp_speedup(const double *t1b, const int *rb1, size_t nb1, const double *tpb, const int *rbp, size_t nbp,
		    const double *t1c, const int *rc1, size_t nc1, const double *tpc, const int *rcp, size_t ncp,
		    double scale, double threshold_pct, const struct sl_cmp_options *o, uint64_t seed,
		    struct sl_cmp_row *row);

/* Welch's two-sided t-test p of a against b (on logarithms when every value is positive; NAN
 * entries ignored); NAN with fewer than 2 values on a side. Never fails otherwise. */
double sl_cmp_welch_p(const double *a, size_t na, const double *b, size_t nb);

/* Compare cur against base: same experiment and workload required (the workload's parameters may
 * differ); configurations matched by their axis values. Returns 0, or -EINVAL with the reason
 * printed (different experiments or workloads, different machines without cross_machine, no
 * matching configuration, unknown metric) and res empty. */
int sl_cmp_compare(const struct sl_cmp_run *base, const struct sl_cmp_run *cur,
		   const struct sl_cmp_options *o, struct sl_cmp_result *res);
/* Free everything. Safe on a zeroed struct. */
void sl_cmp_result_free(struct sl_cmp_result *res);

/* Calibration from A/A runs: runs[0] against runs[1], runs[2] against runs[3], ... (identical
 * experiments on this machine; n even, >= 2). Per metric, the largest |change| of any matched row
 * over the pairs, m; its threshold becomes max(o's threshold, 1.5 m) rounded up to a tenth, into
 * out (thresholds of metrics seen; the default unchanged), and a [compare] section saying so is
 * written to f. Returns the number of pairs, or -EINVAL (message printed: an odd count, a pair that
 * cannot be compared). */
int sl_cmp_calibrate(const struct sl_cmp_run *runs, size_t n, const struct sl_cmp_options *o,
		     struct sl_cmp_options *out, FILE *f);
/* 1 when any row is a regression, else 0. Never fails. */
int sl_cmp_exit_code(const struct sl_cmp_result *res);
/* The one-line verdict, the table and the notes, as Markdown; a table of more than 60 rows leaves
 * out the unchanged ones (and says how many). Never fails (write errors are the
 * caller's to check with ferror). */
void sl_cmp_markdown(const struct sl_cmp_result *res, FILE *f);
/* The whole result as JSON; NULL when out of memory. */
json_t *sl_cmp_json(const struct sl_cmp_result *res);

#endif
