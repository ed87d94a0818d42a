/* finding_rule.c: what every finding rule uses: adding a finding, a growing text, matching rows,
 * the metric's noun, medians over matched rows, whether two rows' intervals overlap. */
#include <math.h>
#include <stdarg.h>
#include <string.h>

#include "analysis/finding_rule.h"
#include "core/stats.h"

void sl_rule_add(struct sl_rule_ctx *c, const char *rule, enum sl_finding_kind kind, const char *fmt, ...)
{
	struct sl_finding *f;
	va_list ap;

	if (c->out->n >= SL_MAX_FINDINGS)
		return;
	f = &c->out->items[c->out->n++];
	snprintf(f->rule, sizeof(f->rule), "%s", rule);
	f->kind = kind;
	va_start(ap, fmt);
	vsnprintf(f->text, sizeof(f->text), fmt, ap);
	va_end(ap);
}

void sl_sb_add(struct sbuf *b, const char *fmt, ...)
{
	va_list ap;
	int k;

	if (b->n >= sizeof(b->s) - 1)
		return;
	va_start(ap, fmt);
	k = vsnprintf(b->s + b->n, sizeof(b->s) - b->n, fmt, ap);
	va_end(ap);
	if (k > 0)
		b->n = b->n + (size_t)k < sizeof(b->s) ? b->n + (size_t)k : sizeof(b->s) - 1;
}


/* The row equal to r on every axis except col, whose col is value; -1 when none. */
long sl_rule_match_row(const struct sl_summary_view *v, size_t r, int col, const char *value)
{
	for (size_t q = 0; q < sl_sv_rows(v); q++) {
		bool same = strcmp(sl_sv_text(v, q, col), value) == 0;

		for (int a = 0; same && a < v->naxes; a++) {
			int ac = v->axes[a];

			if (ac != col && strcmp(sl_sv_text(v, q, ac), sl_sv_text(v, r, ac)) != 0)
				same = false;
		}
		if (same)
			return (long)q;
	}
	return -1;
}

/* Whether rows r and q agree on every axis except those in skip. */
bool sl_rule_same_context(const struct sl_summary_view *v, size_t r, size_t q, const int *skip)
{
	for (int a = 0; a < v->naxes; a++) {
		int ac = v->axes[a];

		if (!sl_sv_in_list(skip, ac) && strcmp(sl_sv_text(v, q, ac), sl_sv_text(v, r, ac)) != 0)
			return false;
	}
	return true;
}

/* The name to start a finding with: the workload, then the series unless it is "all". */
void sl_rule_who(const struct sl_rule_ctx *c, const char *series, char *buf, size_t len)
{
	const char *w = c->workload && c->workload[0] ? c->workload : "the workload";

	if (!series[0] || strcmp(series, "all") == 0)
		snprintf(buf, len, "%s", w);
	else
		snprintf(buf, len, "%s %s", w, series);
}

enum status_class sl_rule_row_class(const struct sl_rule_ctx *c, size_t r)
{
	const char *s = txt(c, r, c->v->c_status);

	if (sl_sv_row_ok(c->v, r))
		return ST_OK;
	if (strncmp(s, "hang", 4) == 0)
		return ST_HANG;
	if (strncmp(s, "crash", 5) == 0)
		return ST_CRASH;
	if (strncmp(s, "error", 5) == 0)
		return ST_ERROR;
	if (strncmp(s, "skipped", 7) == 0)
		return ST_SKIPPED;
	if (strcmp(s, "ok") == 0 && num(c, r, c->v->c_ok) > 0)
		return ST_OK;   /* some repetitions missing but the rest ok */
	return ST_OTHER;
}

double sl_rule_median_where(const struct sl_rule_ctx *c, int col, int col2, const char *value, int col3, double x3)
{
	double xs[4096];
	size_t k = 0;

	for (size_t r = 0; r < sl_sv_rows(c->v) && k < 4096; r++) {
		double x = num(c, r, col);

		if (isnan(x) || (col2 >= 0 && strcmp(txt(c, r, col2), value) != 0) || !sl_sv_row_trusted(c->v, r, c->m) ||
		    (!isnan(x3) && num(c, r, col3) != x3))
			continue;
		xs[k++] = x;
	}
	if (!k)
		return NAN;
	return sl_stats_median(xs, k);
}

/* Whether the 95% intervals of rows a and b overlap (min–max when the file has no interval): the
 * difference between them could be noise. */
bool sl_rule_ci_overlap(const struct sl_rule_ctx *c, size_t a, size_t b)
{
	const struct sl_summary_view *v = c->v;
	int lo = v->c_wall_ci_lo >= 0 ? v->c_wall_ci_lo : v->c_wall_min;
	int hi = v->c_wall_ci_hi >= 0 ? v->c_wall_ci_hi : v->c_wall_max;
	double alo = num(c, a, lo), ahi = num(c, a, hi), blo = num(c, b, lo), bhi = num(c, b, hi);

	if (isnan(alo) || isnan(ahi) || isnan(blo) || isnan(bhi))
		return false;
	return alo <= bhi && blo <= ahi;
}


/* What the metric is called in a sentence. */
const char *sl_rule_metric_noun(const struct sl_summary_view *v)
{
	static const struct { const char *metric, *noun; } nouns[] = {
		{ "wall_s", "runtime" },
		{ "start_latency_ms", "worker start latency" },
		{ "dispatch_us_per_task", "dispatch cost" },
		{ "pool_ms", "pool started, run and stopped" },
		{ "gflops", "throughput" },
		{ "gflops_per_proc", "throughput per process" },
		{ "gbps", "copy bandwidth" },
		{ "gpu_wait_us", "wake-up latency" },
		{ "host_cpu_pct", "host CPU while waiting" },
		{ "pool_start_ms", "pool start" },
	};

	for (size_t i = 0; i < sizeof(nouns) / sizeof(nouns[0]); i++)
		if (strcmp(nouns[i].metric, v->metric) == 0)
			return nouns[i].noun;
	return v->metric;
}
