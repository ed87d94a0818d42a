/* finding_rule.h: what a finding rule is and what every rule uses (private to analysis/'s findings).
 *
 * A rule is a function void sl_rule_NAME(struct sl_rule_ctx *c) in one of the rules_*.c files, listed
 * once in the registry (finding_rules.c) under the name its findings carry. It decides for itself
 * whether it applies, from the data only: the columns summary.csv has (v->c_... >= 0, measured
 * ones not all empty), the axes that vary (sl_summary_view_varies), the metric the answer is measured
 * in (sl_sv_metric_is_time) and the machine (c->m); it never tests a workload's or launcher's name
 * (a property of a workload comes from its ops: sl_workload_find(c->workload)). It says what it found
 * with sl_rule_add, and nothing when its data is absent. Rows whose figures failed the run-window
 * checks (sl_sv_row_trusted) are not described. */
#ifndef SL_FINDING_RULE_H
#define SL_FINDING_RULE_H

#include "analysis/findings.h"

/* What a rule reads and where it writes. */
struct sl_rule_ctx {
	const struct sl_summary_view *v;
	const struct sl_machine *m;     /* the machine the result came from */
	const char *workload;           /* the experiment's workload, "" when unknown */
	struct sl_findings *out;
};

/* The rules (rules_*.c), each listed in finding_rules.c. */
void sl_rule_failures(struct sl_rule_ctx *c);
void sl_rule_scaling(struct sl_rule_ctx *c);
void sl_rule_stability(struct sl_rule_ctx *c);
void sl_rule_cores_busy(struct sl_rule_ctx *c);
void sl_rule_limit_ignored(struct sl_rule_ctx *c);
void sl_rule_placement(struct sl_rule_ctx *c);
void sl_rule_oversubscribed(struct sl_rule_ctx *c);
void sl_rule_start_safety(struct sl_rule_ctx *c);
void sl_rule_start_latency(struct sl_rule_ctx *c);
void sl_rule_chunksize(struct sl_rule_ctx *c);
void sl_rule_axis_effect(struct sl_rule_ctx *c);
void sl_rule_gpu_sync(struct sl_rule_ctx *c);
void sl_rule_gpu_copy(struct sl_rule_ctx *c);
void sl_rule_gpu_share(struct sl_rule_ctx *c);
void sl_rule_throughput(struct sl_rule_ctx *c);
void sl_rule_monitor_cost(struct sl_rule_ctx *c);

/* Append a finding of rule (its registry name) to c->out; dropped past SL_MAX_FINDINGS. */
void sl_rule_add(struct sl_rule_ctx *c, const char *rule, enum sl_finding_kind kind, const char *fmt, ...)
	__attribute__((format(printf, 4, 5)));

/* A growing text buffer for findings that list several items (cut short when full). */
struct sbuf {
	char s[1024];
	size_t n;
};
void sl_sb_add(struct sbuf *b, const char *fmt, ...) __attribute__((format(printf, 2, 3)));

/* Row r's cell of column col, as a number (NAN when empty or missing) and as text. */
static inline double num(const struct sl_rule_ctx *c, size_t r, int col)
{
	return sl_sv_num(c->v, r, col);
}
static inline const char *txt(const struct sl_rule_ctx *c, size_t r, int col)
{
	return sl_sv_text(c->v, r, col);
}

/* The row equal to r on every axis except col, whose col is value; -1 when none. */
long sl_rule_match_row(const struct sl_summary_view *v, size_t r, int col, const char *value);
/* Whether rows r and q agree on every axis except those in skip (-1 terminated). */
bool sl_rule_same_context(const struct sl_summary_view *v, size_t r, size_t q, const int *skip);
/* The name to start a finding with: the workload, then the series unless it is "all". */
void sl_rule_who(const struct sl_rule_ctx *c, const char *series, char *buf, size_t len);
/* How row r's runs ended: all ok (or ok with repetitions missing), or the kind of failure. */
enum status_class { ST_OK, ST_HANG, ST_CRASH, ST_ERROR, ST_SKIPPED, ST_OTHER };
enum status_class sl_rule_row_class(const struct sl_rule_ctx *c, size_t r);
/* Median of column col over the trusted rows where col2 == value (col2 < 0: all rows) and, unless x3
 * is NAN, column col3 is x3; NAN when there is none. */
double sl_rule_median_where(const struct sl_rule_ctx *c, int col, int col2, const char *value, int col3, double x3);
/* Whether the 95% intervals of rows a and b overlap (min–max when the file has no interval): the
 * difference between them could be noise. */
bool sl_rule_ci_overlap(const struct sl_rule_ctx *c, size_t a, size_t b);
/* What the metric is called in a sentence ("runtime", "worker start latency"). */
const char *sl_rule_metric_noun(const struct sl_summary_view *v);

/* Decimals that keep about three significant digits of a throughput without an exponent. */
#define PREC(x) ((x) >= 100 ? 0 : (x) >= 10 ? 1 : 2)

#endif
