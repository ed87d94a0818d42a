/* finding_rules.c: the registry of finding rules: which rules there are, in the order their
 * findings are listed, and sl_findings_compute, which applies them. */
#include "analysis/finding_rule.h"

/* The rules, in the order their findings are listed (sl_rule_failures runs first, whatever the rows). */
static const struct rule {
	const char *name;
	void (*fn)(struct sl_rule_ctx *c);
} rules[] = {
	{ "start-safety", sl_rule_start_safety },   { "scaling", sl_rule_scaling },
	{ "cores-busy", sl_rule_cores_busy },       { "monitor-cost", sl_rule_monitor_cost },
	{ "limit-ignored", sl_rule_limit_ignored }, { "placement", sl_rule_placement },
	{ "oversubscription", sl_rule_oversubscribed },
	{ "chunksize", sl_rule_chunksize },         { "start-latency", sl_rule_start_latency },
	{ "gpu-sync", sl_rule_gpu_sync },           { "gpu-copy", sl_rule_gpu_copy },
	{ "gpu-share", sl_rule_gpu_share },         { "throughput", sl_rule_throughput },
	{ "axis", sl_rule_axis_effect },            { "stability", sl_rule_stability },
};

void sl_findings_compute(const struct sl_summary_view *v, const struct sl_machine *m, const char *workload,
			 struct sl_findings *out)
{
	struct sl_rule_ctx c = { .v = v, .m = m, .workload = workload ? workload : "", .out = out };

	if (!c.workload[0] && v->c_workload >= 0 && sl_sv_rows(v) > 0)
		c.workload = sl_sv_text(v, 0, v->c_workload);
	sl_rule_failures(&c);
	if (sl_sv_rows(v) == 0)
		return;
	/* the registry: each rule says for itself when it applies (its columns, the swept axes, the metric) */
	for (size_t i = 0; i < sizeof(rules) / sizeof(rules[0]); i++)
		rules[i].fn(&c);
}
