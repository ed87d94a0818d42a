/* findings.h: the rules that turn a result's numbers into findings (registry: finding_rules.c; rule
 * bodies: rules_*.c), the experiment's answer in numbers, and the judgements they share (trusted
 * figures, oversubscription, the Amdahl fit). What they read comes from results/: meta.json
 * (results/meta.h) and summary.csv (results/summary_view.h). */
#ifndef SL_FINDINGS_H
#define SL_FINDINGS_H

#include <jansson.h>
#include <stdbool.h>

#include "core/csv.h"
#include "core/speedlab.h"
#include "results/meta.h"
#include "results/summary_view.h"

/* Whether row r's figures can be trusted: every run ok and they pass the run-window checks (cores busy
 * at most the machine's logical CPUs × 1.05: the CPU time was counted outside the run). */
bool sl_sv_row_trusted(const struct sl_summary_view *v, size_t r, const struct sl_machine *m);
/* Whether row r is oversubscribed: summary.csv says processes × threads exceed the logical CPUs, and
 * the workers keep them busy (a waiting workload whose cores busy stay below 85% of the CPUs has
 * threads to spare, whatever their count). Never fails. */
bool sl_sv_oversubscribed(const struct sl_summary_view *v, size_t r, const struct sl_machine *m);
/* The Amdahl serial fraction of row r's series, fitted on its trusted, not oversubscribed process counts
 * with a speedup; NAN unless there are at least 3 of them. *pmin, *pmax (may be NULL): the fitted range.
 * Never fails. */
double sl_sv_amdahl(const struct sl_summary_view *v, size_t r, const struct sl_machine *m, double *pmin,
		    double *pmax);
/* The fastest trusted 1-process row of the experiment (any series); -1 when none. */
long sl_sv_best_one_process(const struct sl_summary_view *v, const struct sl_machine *m);

/* The experiment's answer in numbers, one line of Markdown without a trailing newline (what its
 * question asks, ranked by its metric): the best speedup where processes are swept and the metric is
 * the run's time, else the best and worst configurations. brief: the key-results table's short form
 * (one line: no configuration lists). Never fails. */
void sl_answer(const struct sl_summary_view *v, const struct sl_machine *m, bool brief, char *buf, size_t len);

enum sl_finding_kind {
	SL_FINDING_INFO = 0,      /* what the data shows */
	SL_FINDING_ADVICE,        /* what to change */
	SL_FINDING_PROBLEM,       /* runs that crashed, hung, or a measurement that cannot be trusted */
};

struct sl_finding {
	char rule[32];
	enum sl_finding_kind kind;
	char text[1024];
};

#define SL_MAX_FINDINGS 64

struct sl_findings {
	int n;
	struct sl_finding items[SL_MAX_FINDINGS];
};

/* Apply every rule to v (workload: the experiment's workload, "" if unknown; m: the machine it ran
 * on) and append what they find to out (out->n must be set, usually 0). Each rule speaks only when
 * its data exists. Never fails; past SL_MAX_FINDINGS findings are dropped. */
void sl_findings_compute(const struct sl_summary_view *v, const struct sl_machine *m, const char *workload,
			 struct sl_findings *out);

/* The one-word label of a finding kind ("info", "advice", "problem"). Never fails. */
const char *sl_finding_kind_name(enum sl_finding_kind k);

#endif
